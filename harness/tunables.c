/* numabench: the table of NUMA-related tunables, and a crash-safe journal of originals.
 *
 * Only tunables in nb_tunables[] can be written: nothing from a config, the command line or
 * the journal names a path. The journal stores "NAME=VALUE" lines; restore looks NAME up in the
 * table and validates VALUE before writing it back.
 *
 * Crash safety: before the first write the original value is appended to the journal and
 * fsync'd. The process that owns the journal holds a POSIX record lock (fcntl) on it for its
 * lifetime; the kernel drops that lock when the process dies in any way (SIGKILL too), so the
 * next invocation that can take the lock knows the journal is orphaned and restores it. A
 * record lock, not an flock: an flock belongs to the open file, which every forked child
 * shares until it closes its copy, so a child forked just before a SIGKILL kept the journal
 * locked; a record lock belongs to the process alone and is never inherited.
 */
#include "tunables.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DBG "/sys/kernel/debug/sched/numa_balancing/"
#define PSK "/proc/sys/kernel/"
#define THP "/sys/kernel/mm/transparent_hugepage/"

const struct nb_tunable nb_tunables[] = {
    {"numa_balancing", PSK "numa_balancing", NULL, "int", "mode", 0, 3, NULL, "root",
     "0 off, 1 normal, 2 memory tiering (5.18+), 3 both"},
    {"promote_rate_limit_MBps", PSK "numa_balancing_promote_rate_limit_MBps", NULL, "int", "MB/s",
     0, INT_MAX, NULL, "root", "tiering promotion rate limit (6.1+)"},
    {"scan_delay_ms", DBG "scan_delay_ms", PSK "numa_balancing_scan_delay_ms", "int", "ms", 0,
     3600000, NULL, "root+debugfs", "delay before a new task's first scan"},
    {"scan_period_min_ms", DBG "scan_period_min_ms", PSK "numa_balancing_scan_period_min_ms", "int",
     "ms", 1, 3600000, NULL, "root+debugfs", "shortest time between scans of a task"},
    {"scan_period_max_ms", DBG "scan_period_max_ms", PSK "numa_balancing_scan_period_max_ms", "int",
     "ms", 1, 3600000, NULL, "root+debugfs", "longest time between scans of a task"},
    /* scan_size_mb=0 has crashed kernels (KERNEL-NOTES.md#KN-scan-tunables): the range starts
     * at 1. */
    {"scan_size_mb", DBG "scan_size_mb", PSK "numa_balancing_scan_size_mb", "int", "MB", 1, 1048576,
     NULL, "root+debugfs", "memory scanned per scan pass"},
    {"hot_threshold_ms", DBG "hot_threshold_ms", NULL, "int", "ms", 0, 3600000, NULL,
     "root+debugfs", "tiering: access within this time counts as hot (6.1+)"},
    {"thp_enabled", THP "enabled", NULL, "enum", "", 0, 0, "always|madvise|never", "root",
     "transparent huge pages"},
    {"thp_defrag", THP "defrag", NULL, "enum", "", 0, 0, "always|defer|defer+madvise|madvise|never",
     "root", "THP allocation defrag policy"},
    /* The kernel prints true/false and accepts both spellings (kstrtobool); the journal keeps
     * what it printed. */
    {"demotion_enabled", "/sys/kernel/mm/numa/demotion_enabled", NULL, "enum", "", 0, 0,
     "true|false|1|0", "root", "tiering: reclaim demotes to a lower memory tier (5.15+)"},
    {"zone_reclaim_mode", "/proc/sys/vm/zone_reclaim_mode", NULL, "int", "bits", 0, 7, NULL, "root",
     "reclaim on the local node before going remote"},
    {NULL, NULL, NULL, NULL, NULL, 0, 0, NULL, NULL, NULL},
};

const struct nb_tunable *nb_tunable_find(const char *name)
{
	for (const struct nb_tunable *t = nb_tunables; t->name; t++)
		if (!strcmp(t->name, name))
			return t;
	return NULL;
}

const char *nb_tunable_path(const struct nb_tunable *t)
{
	if (nb_sys_access(t->path, F_OK) == 0)
		return t->path;
	if (t->oldpath && nb_sys_access(t->oldpath, F_OK) == 0)
		return t->oldpath;
	return NULL;
}

int nb_tunable_get(const struct nb_tunable *t, char *buf, size_t len)
{
	char raw[256];
	const char *p = nb_tunable_path(t);
	buf[0] = 0;
	if (!p || nb_read_file(p, raw, sizeof(raw)))
		return -1;
	char *a = strchr(raw, '['), *b = a ? strchr(a, ']') : NULL;
	if (a && b) { /* "always [madvise] never": the selected word */
		*b = 0;
		snprintf(buf, len, "%s", a + 1);
	} else {
		snprintf(buf, len, "%s", raw);
	}
	return 0;
}

int nb_tunable_check(const struct nb_tunable *t, const char *value, char *err, size_t errlen)
{
	if (!strcmp(t->type, "enum")) {
		size_t n = strlen(value);
		for (const char *c = t->choices; *c;) {
			size_t k = strcspn(c, "|");
			if (k == n && !strncmp(c, value, n))
				return 0;
			c += k + (c[k] == '|');
		}
		snprintf(err, errlen, "knob.%s=%s is not valid (valid: %s)", t->name, value,
			 t->choices);
		return -1;
	}
	uint64_t v;
	if (nb_parse_u64(value, &v) || v < (uint64_t)t->min || v > (uint64_t)t->max) {
		snprintf(err, errlen, "knob.%s=%s is not valid (valid: %ld..%ld %s)", t->name,
			 value, t->min, t->max, t->unit);
		return -1;
	}
	return 0;
}

/* ---- journal ---- */

static int journal_fd = -1; /* open + locked while this process owns changes */

/* Pre-formatted restore entries for the async-signal-safe path. */
#define MAXJ 16
static struct {
	char path[512]; /* fsroot included */
	char value[64];
} jent[MAXJ];
static volatile int njent;

const char *nb_journal_path(void)
{
	static char path[512];
	const char *env = getenv("NUMABENCH_JOURNAL");
	if (env && *env)
		return env;
	if (geteuid() == 0)
		return "/var/lib/numabench/journal";
	const char *home = getenv("HOME");
	snprintf(path, sizeof(path), "%s/.local/state/numabench/journal", home ? home : "/tmp");
	return path;
}

static void mkparents(const char *path)
{
	char buf[512];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		mkdir(buf, 0700);
		*p = '/';
	}
}

static int journal_open(char *err, size_t errlen)
{
	if (journal_fd >= 0)
		return 0;
	const char *jp = nb_journal_path();
	mkparents(jp);
	int fd = open(jp, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open the tunables journal %s: %s", jp,
			 strerror(errno));
		return -1;
	}
	struct flock lk = {.l_type = F_WRLCK, .l_whence = SEEK_SET}; /* the whole file */
	if (fcntl(fd, F_SETLK, &lk)) {
		snprintf(err, errlen,
			 "another numabench run is changing tunables (journal %s is locked)", jp);
		close(fd);
		return -1;
	}
	journal_fd = fd;
	return 0;
}

static bool journaled(const char *name)
{
	char buf[4096];
	ssize_t n = pread(journal_fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return false;
	buf[n] = 0;
	size_t len = strlen(name);
	for (char *l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (!strncmp(l, name, len) && l[len] == '=')
			return true;
	return false;
}

bool nb_tunable_written(const char *name)
{
	return journal_fd >= 0 && journaled(name);
}

static int write_value(const char *path, const char *value)
{
	int fd = nb_sys_open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	size_t n = strlen(value);
	ssize_t w = write(fd, value, n);
	int e = errno;
	close(fd);
	if (w != (ssize_t)n) {
		errno = w < 0 ? e : EIO;
		return -1;
	}
	return 0;
}

int nb_tunable_set(const struct nb_tunable *t, const char *value, char *err, size_t errlen)
{
	char orig[64];
	if (nb_tunable_check(t, value, err, errlen))
		return -1;
	const char *path = nb_tunable_path(t);
	if (!path || nb_tunable_get(t, orig, sizeof(orig))) {
		snprintf(err, errlen, "knob.%s: not available on this kernel (%s%s%s)", t->name,
			 t->path, t->oldpath ? " or " : "", t->oldpath ? t->oldpath : "");
		return -1;
	}
	if (nb_interrupted) {
		snprintf(err, errlen, "knob.%s: interrupted, not written", t->name);
		return -1;
	}
	if (journal_open(err, errlen))
		return -1;
	if (!journaled(t->name)) {
		char line[160];
		int n = snprintf(line, sizeof(line), "%s=%s\n", t->name, orig);
		if (lseek(journal_fd, 0, SEEK_END) < 0 || write(journal_fd, line, n) != n ||
		    fsync(journal_fd)) {
			snprintf(err, errlen, "cannot write the tunables journal: %s",
				 strerror(errno));
			return -1;
		}
		if (njent < MAXJ) {
			/* Under the fsroot: the signal-time restore opens it as it is. */
			nb_sys_path(path, jent[njent].path, sizeof(jent[0].path));
			snprintf(jent[njent].value, sizeof(jent[0].value), "%s", orig);
			njent++;
		}
	}
	if (write_value(path, value)) {
		snprintf(err, errlen, "knob.%s=%s: cannot write %s: %s", t->name, value, path,
			 strerror(errno));
		return -1;
	}
	return 0;
}

/* Restore one "NAME=VALUE" journal line through the table: 1 restored, 0 nothing to do, -1 the
 * write failed (the journal is kept), -2 not an entry numabench writes (a corrupt line). */
static int restore_line(char *line, bool announce)
{
	char *eq = strchr(line, '=');
	if (!eq)
		return -2;
	*eq = 0;
	const struct nb_tunable *t = nb_tunable_find(line);
	char err[256], cur[64];
	if (!t || nb_tunable_check(t, eq + 1, err, sizeof(err))) {
		*eq = '=';
		return -2;
	}
	const char *path = nb_tunable_path(t);
	if (!path)
		return 0;
	nb_tunable_get(t, cur, sizeof(cur));
	if (!strcmp(cur, eq + 1))
		return 0;
	if (write_value(path, eq + 1)) {
		nb_err("cannot restore %s=%s: %s", t->name, eq + 1, strerror(errno));
		return -1;
	}
	if (announce)
		nb_warn("restored %s=%s (it was %s, left by an interrupted run)", t->name, eq + 1,
			cur);
	return 1;
}

/* Append `line N "TEXT"` (TEXT printable, at most 40 characters) to the bad-line list. */
static void note_bad(char *list, size_t len, int nbad, int lineno, const char *text)
{
	size_t used = strlen(list);
	if (nbad > 3) {
		if (nbad == 4)
			snprintf(list + used, len - used, ", ...");
		return;
	}
	char clean[48];
	size_t k = 0;
	for (const char *p = text; *p && k < 40; p++)
		clean[k++] = (*p >= 0x20 && *p < 0x7f && *p != '"') ? *p : '?';
	clean[k] = 0;
	snprintf(list + used, len - used, "%sline %d \"%s%s\"", nbad > 1 ? ", " : "", lineno, clean,
		 strlen(text) > 40 ? "..." : "");
}

/* A journal with lines numabench never writes: keep it for inspection beside the journal, as
 * JOURNAL.corrupt.UTCSTAMP, so later invocations are quiet. */
static void move_aside(int nbad, const char *list)
{
	char dst[PATH_MAX], stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(dst, sizeof(dst), "%s.corrupt.%s", nb_journal_path(), stamp);
	if (rename(nb_journal_path(), dst)) {
		nb_err("tunables journal %s: %d bad line(s) (%s); cannot move it aside to %s: %s",
		       nb_journal_path(), nbad, list, dst, strerror(errno));
		return;
	}
	nb_warn("tunables journal %s: %d bad line(s) ignored (%s); its valid entries were "
		"restored and it was moved aside to %s",
		nb_journal_path(), nbad, list, dst);
}

int nb_tunables_restore(bool announce)
{
	char err[256];
	bool own = journal_fd >= 0;
	if (!own) {
		if (access(nb_journal_path(), F_OK))
			return 0;
		if (journal_open(err, sizeof(err))) {
			/* Locked: a live run owns it; not ours to restore. Say so. */
			if (announce)
				nb_warn("not restoring tunables: %s", err);
			return 0;
		}
	}
	static char buf[16384];
	char bad[512] = "";
	ssize_t n = pread(journal_fd, buf, sizeof(buf) - 1, 0);
	int restored = 0, failed = 0, nbad = 0, lineno = 0;
	buf[n > 0 ? n : 0] = 0;
	for (char *l = buf, *next; l && *l; l = next) {
		next = strchr(l, '\n');
		if (next)
			*next++ = 0;
		lineno++;
		if (!*l)
			continue;
		int r = restore_line(l, announce);
		if (r == -2)
			note_bad(bad, sizeof(bad), ++nbad, lineno, l);
		else if (r < 0)
			failed++;
		else
			restored += r;
	}
	if (!failed && nbad)
		move_aside(nbad, bad);
	else if (!failed)
		unlink(nb_journal_path());
	else if (nbad)
		nb_warn("tunables journal %s: %d bad line(s) ignored (%s)", nb_journal_path(), nbad,
			bad);
	if (!failed)
		njent = 0;
	close(journal_fd);
	journal_fd = -1;
	return failed ? -1 : restored;
}

int nb_journal_pending(void)
{
	int fd = open(nb_journal_path(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return 0;
	struct flock lk = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	int pending = fcntl(fd, F_GETLK, &lk) == 0 && lk.l_type == F_UNLCK;
	close(fd);
	return pending;
}

void nb_tunables_forget(void)
{
	if (journal_fd >= 0)
		close(journal_fd);
	journal_fd = -1;
	njent = 0;
}

/* Async-signal-safe: open/write/close only, from the pre-formatted entries. */
void nb_tunables_restore_signal(void)
{
	for (int i = 0; i < njent; i++) {
		int fd = open(jent[i].path, O_WRONLY | O_CLOEXEC);
		if (fd >= 0) {
			if (write(fd, jent[i].value, strlen(jent[i].value)) < 0) {
				/* The journal keeps the entry; the next invocation retries. */
			}
			close(fd);
		}
	}
}

json_t *nb_tunables_json(void)
{
	json_t *o = json_object();
	for (const struct nb_tunable *t = nb_tunables; t->name; t++) {
		char v[64];
		json_object_set_new(o, t->name,
				    nb_tunable_get(t, v, sizeof(v)) ? json_null() : json_string(v));
	}
	return o;
}
