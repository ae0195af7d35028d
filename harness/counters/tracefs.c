/* numabench counters: tracefs, where tracepoint ids come from (found, or mounted privately by
 * root and unmounted right after), and the tracepoint name syntax. */
#include "counters_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <ctype.h>
#include <sys/mount.h>

static bool tracefs_at(struct tracefs *t, const char *path)
{
	char ev[320];
	snprintf(t->dir, sizeof(t->dir), "%s%s", nb_fsroot(), path);
	snprintf(ev, sizeof(ev), "%s/events", t->dir);
	if (access(ev, X_OK) == 0)
		return true;
	if (errno == EACCES)
		t->err = EACCES;
	return false;
}

/* Root may mount tracefs privately to read ids, and unmounts it right after: the ids stay
 * valid (kernel/trace/trace_event_perf.c perf_trace_init looks them up in the kernel's own
 * list), and the host's mounts are left as they were. */
static bool tracefs_mount(struct tracefs *t)
{
	snprintf(t->tmp, sizeof(t->tmp), "/tmp/numabench-tracefs-XXXXXX");
	if (!mkdtemp(t->tmp)) {
		t->tmp[0] = 0;
		return false;
	}
	if (mount("nodev", t->tmp, "tracefs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == 0) {
		snprintf(t->dir, sizeof(t->dir), "%s", t->tmp);
		snprintf(t->shown, sizeof(t->shown),
			 "not mounted: numabench (root) mounted it to read ids, then unmounted it");
		return true;
	}
	int e = errno;
	rmdir(t->tmp);
	t->tmp[0] = 0;
	t->err = e;
	snprintf(t->reason, sizeof(t->reason), "tracefs not mounted; mounting it failed: %s",
		 strerror(e));
	return false;
}

void tracefs_open(struct tracefs *t)
{
	static const char *const paths[] = {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"};
	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < 2 && !t->ok; i++)
		if ((t->ok = tracefs_at(t, paths[i])))
			snprintf(t->shown, sizeof(t->shown), "%s", paths[i]);
	if (t->ok)
		return;
	if (t->err == EACCES) {
		snprintf(t->reason, sizeof(t->reason), "tracefs not readable: needs root");
		return;
	}
	t->err = ENOENT;
	snprintf(t->reason, sizeof(t->reason),
		 "tracefs not mounted (as root: mount -t tracefs nodev /sys/kernel/tracing)");
	if (!nb_fsroot()[0] && geteuid() == 0)
		t->ok = tracefs_mount(t);
}

void tracefs_close(struct tracefs *t)
{
	if (!t->tmp[0])
		return;
	if (umount2(t->tmp, MNT_DETACH) == 0)
		rmdir(t->tmp);
	t->tmp[0] = 0;
}

/* id of tracepoint "sys:name", or -1 (errno ENOENT when the kernel has no such event). */
long tracefs_id(const struct tracefs *t, const char *tp)
{
	char path[512];
	long id;
	const char *colon = strchr(tp, ':');
	snprintf(path, sizeof(path), "%s/events/%.*s/%s/id", t->dir, (int)(colon - tp), tp,
		 colon + 1);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	int ok = fscanf(f, "%ld", &id) == 1;
	fclose(f);
	return ok ? id : -1;
}

/* "system:name" with lowercase identifiers: the tracepoint syntax. */
bool tp_syntax(const char *s)
{
	int colons = 0;
	if (!*s || *s == ':')
		return false;
	for (; *s; s++) {
		if (*s == ':')
			colons++;
		else if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '_'))
			return false;
	}
	return colons == 1 && s[-1] != ':';
}

int known_tp(const char *name)
{
	for (size_t i = 0; i < N_TP; i++)
		if (!strcmp(name, numa_tps[i].name))
			return (int)i;
	return -1;
}
