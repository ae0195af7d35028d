/* numabench: the QEMU NUMA guest runner, `numabench guest` (see guest.h).
 *
 * Flow: parse the command line; load the topology (configs/guests/NAME.json); find the
 * kernel (Debian package fetched with apt-get download + dpkg -x into the cache, or a
 * bzImage); build the initramfs (busybox-static, this numabench, the libraries ldd names,
 * harness/initramfs/init.sh, configs/ suites), cached by the hash of its inputs; append a
 * tiny per-run archive holding the guest arguments; pick TCG or a KVM that a probe proved;
 * run QEMU with a timeout; read the framed results from the second serial port; write the
 * JSON and the console log. No shell ever sees a string from the command line or a config:
 * every helper runs through fork/execvp with an argv array.
 */
#include "guest.h"
#include "nb.h"
#include "results.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define G_MAX_NODES 16
#define G_MAX_CPUS 64
#define G_MAX_ARGS 256
#define G_MAX_FILES 32
#define G_DEFAULT_TIMEOUT 600
#define G_PROBE_TIMEOUT 10
#define G_MIN_NODE_MEM (128ull << 20)
#define G_MAX_TOTAL_MEM (16ull << 30)
#define G_CHAN_MAX (256u << 20)
#define G_INITRAMFS_KEEP 6

/* ------------------------------------------------------------------------------------ */
/* Small helpers                                                                         */

static int path_fmt(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* snprintf that reports truncation, for paths. */
static int path_fmt(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len) {
		nb_err("path too long: %.80s...", buf);
		return -1;
	}
	return 0;
}

static bool is_dir(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool is_file(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static int mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -1;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, mode) && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(buf, mode) && errno != EEXIST ? -1 : 0;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)ftw;
	return flag == FTW_DP ? rmdir(p) : unlink(p);
}

static void rm_rf(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int copy_fd(int in, int out)
{
	char buf[1 << 16];
	ssize_t r;
	while ((r = read(in, buf, sizeof(buf))) > 0)
		if (nb_write_all(out, buf, (size_t)r))
			return -1;
	return r < 0 ? -1 : 0;
}

static int copy_file(const char *from, const char *to, int oflags)
{
	int in = open(from, O_RDONLY | O_CLOEXEC);
	int out = open(to, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | oflags, 0644);
	int rc = in < 0 || out < 0 ? -1 : copy_fd(in, out);
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out))
		rc = -1;
	return rc;
}

static void first_line(const char *s, char *out, size_t len)
{
	while (*s == '\n' || *s == ' ' || *s == '\t')
		s++;
	snprintf(out, len, "%.*s", (int)strcspn(s, "\n"), s);
}

static void utc_stamp(char *buf, size_t len, const char *fmt)
{
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(buf, len, fmt, &tm);
}

/* ------------------------------------------------------------------------------------ */
/* SHA-256 (FIPS 180-4): content hashes of the initramfs inputs and channel integrity.    */

struct sha256 {
	uint32_t h[8];
	uint8_t buf[64];
	uint64_t bytes;
	size_t n;
};

static const uint32_t sha_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

#define ROR32(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256_init(struct sha256 *s)
{
	static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
				       0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
	memcpy(s->h, h0, sizeof(h0));
	s->bytes = 0;
	s->n = 0;
}

static void sha256_block(struct sha256 *s, const uint8_t *p)
{
	uint32_t w[64], v[8];
	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ROR32(w[i - 15], 7) ^ ROR32(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ROR32(w[i - 2], 17) ^ ROR32(w[i - 2], 19) ^ (w[i - 2] >> 10);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	memcpy(v, s->h, sizeof(v));
	for (int i = 0; i < 64; i++) {
		uint32_t e = v[4], a = v[0];
		uint32_t t1 = v[7] + (ROR32(e, 6) ^ ROR32(e, 11) ^ ROR32(e, 25)) +
			      ((e & v[5]) ^ (~e & v[6])) + sha_k[i] + w[i];
		uint32_t t2 = (ROR32(a, 2) ^ ROR32(a, 13) ^ ROR32(a, 22)) +
			      ((a & v[1]) ^ (a & v[2]) ^ (v[1] & v[2]));
		memmove(v + 1, v, 7 * sizeof(v[0]));
		v[4] += t1;
		v[0] = t1 + t2;
	}
	for (int i = 0; i < 8; i++)
		s->h[i] += v[i];
}

static void sha256_update(struct sha256 *s, const void *data, size_t len)
{
	const uint8_t *p = data;
	s->bytes += len;
	while (len) {
		size_t take = 64 - s->n < len ? 64 - s->n : len;
		memcpy(s->buf + s->n, p, take);
		s->n += take;
		p += take;
		len -= take;
		if (s->n == 64) {
			sha256_block(s, s->buf);
			s->n = 0;
		}
	}
}

/* Final digest as 64 lowercase hex characters + NUL. */
static void sha256_hex(struct sha256 *s, char out[65])
{
	uint64_t bits = s->bytes * 8;
	uint8_t pad = 0x80, len[8];
	sha256_update(s, &pad, 1);
	pad = 0;
	while (s->n != 56)
		sha256_update(s, &pad, 1);
	for (int i = 0; i < 8; i++)
		len[i] = (uint8_t)(bits >> (56 - 8 * i));
	sha256_update(s, len, 8);
	for (int i = 0; i < 8; i++)
		sprintf(out + 8 * i, "%08x", s->h[i]);
}

static int sha256_file(struct sha256 *s, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	char buf[1 << 16];
	ssize_t r;
	while ((r = read(fd, buf, sizeof(buf))) > 0)
		sha256_update(s, buf, (size_t)r);
	close(fd);
	return r < 0 ? -1 : 0;
}

/* ------------------------------------------------------------------------------------ */
/* Child processes: always fork/execvp with an argv array, never a shell.               */

static volatile sig_atomic_t g_signal;

static void on_guest_signal(int sig)
{
	g_signal = sig;
}

static void child_stdio(int out_fd)
{
	int nul = open("/dev/null", O_RDONLY);
	if (nul >= 0)
		dup2(nul, 0);
	dup2(out_fd, 1);
	dup2(out_fd, 2);
}

static int wait_status(pid_t pid)
{
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Run argv in cwd (NULL: here); its stdout and stderr into out (truncated, NUL-ended).
 * Returns the exit status, 128+signal, 127 when it could not start. */
static int run_capture(char *const argv[], const char *cwd, char *out, size_t outlen)
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC))
		return -1;
	pid_t pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		child_stdio(pfd[1]);
		if (cwd && chdir(cwd))
			_exit(126);
		execvp(argv[0], argv);
		dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	size_t n = 0;
	char buf[4096];
	ssize_t r;
	while ((r = read(pfd[0], buf, sizeof(buf))) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		size_t take = n + (size_t)r < outlen ? (size_t)r : outlen - 1 - n;
		memcpy(out + n, buf, take);
		n += take;
	}
	out[n] = 0;
	close(pfd[0]);
	return wait_status(pid);
}

/* ------------------------------------------------------------------------------------ */
/* Where things live                                                                     */

/* The folder holding configs/guests: NUMABENCH_DATA, the binary's folder (a source
 * tree), an installed share folder (beside the binary or NB_DATADIR), or the current
 * folder. */
static const char *data_dir(void)
{
	static char dir[PATH_MAX];
	char exe[PATH_MAX], cand[5][PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = 0;
	char *slash = strrchr(exe, '/');
	if (slash)
		*slash = 0;
	const char *env = getenv("NUMABENCH_DATA");
	snprintf(cand[0], PATH_MAX, "%s", env && *env ? env : "");
	snprintf(cand[1], PATH_MAX, "%s", exe);
	snprintf(cand[2], PATH_MAX, "%.4000s/../share/numabench", exe);
#ifdef NB_DATADIR
	snprintf(cand[3], PATH_MAX, "%s", NB_DATADIR); /* the installed data folder */
#else
	cand[3][0] = 0;
#endif
	snprintf(cand[4], PATH_MAX, ".");
	for (int i = 0; i < 5; i++) {
		char guests[PATH_MAX + 32];
		path_fmt(guests, sizeof(guests), "%s/configs/guests", cand[i]);
		if (cand[i][0] && is_dir(guests) && realpath(cand[i], dir))
			return dir;
	}
	return NULL;
}

static int init_script(char *out, size_t len)
{
	const char *d = data_dir();
	if (d && !path_fmt(out, len, "%s/harness/initramfs/init.sh", d) && is_file(out))
		return 0;
	if (d && !path_fmt(out, len, "%s/initramfs/init.sh", d) && is_file(out))
		return 0;
	nb_err("guest: cannot find harness/initramfs/init.sh (looked in %s; set NUMABENCH_DATA "
	       "to the numabench source folder)",
	       d ? d : "no data folder");
	return -1;
}

/* NUMABENCH_CACHE, else .cache/numabench in a source tree, else the XDG cache. */
static int cache_dir(char *out, size_t len)
{
	const char *env = getenv("NUMABENCH_CACHE"), *d = data_dir();
	char src[PATH_MAX + 32] = "";
	int rc;
	if (d)
		snprintf(src, sizeof(src), "%s/harness/initramfs", d);
	if (env && *env)
		rc = path_fmt(out, len, "%s", env);
	else if (d && is_dir(src)) /* a source tree */
		rc = path_fmt(out, len, "%s/.cache/numabench", d);
	else if (getenv("XDG_CACHE_HOME"))
		rc = path_fmt(out, len, "%s/numabench", getenv("XDG_CACHE_HOME"));
	else
		rc = path_fmt(out, len, "%s/.cache/numabench",
			      getenv("HOME") ? getenv("HOME") : "/tmp");
	if (rc == 0 && mkdir_p(out, 0755)) {
		nb_err("guest: cannot create the cache folder %s: %s (set NUMABENCH_CACHE)", out,
		       strerror(errno));
		return -1;
	}
	return rc;
}

/* Serializes cache writers (kernel fetch, initramfs build, KVM probe). */
static int cache_lock(const char *cache)
{
	char p[PATH_MAX + 16];
	snprintf(p, sizeof(p), "%s/.lock", cache);
	int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0 && flock(fd, LOCK_EX)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* ------------------------------------------------------------------------------------ */
/* Topologies: configs/guests/NAME.json                                                  */

struct gnode {
	int ncpus, initiator;
	int cpus[G_MAX_CPUS];
	uint64_t mem;
};

struct gtopo {
	char name[64], path[PATH_MAX];
	int nnodes, ncpus;
	struct gnode nodes[G_MAX_NODES];
	bool have_dist, hmat;
	int dist[G_MAX_NODES][G_MAX_NODES];
	/* HMAT [initiator][target]; 0 = not published */
	uint64_t lat_ns[G_MAX_NODES][G_MAX_NODES], bw_mib[G_MAX_NODES][G_MAX_NODES];
	uint64_t total_mem;
};

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "2node, 2node-hmat, ..." from configs/guests, sorted. */
static void list_topologies(char *out, size_t len)
{
	const char *d = data_dir();
	char dir[PATH_MAX + 32], *names[64];
	int n = 0;
	out[0] = 0;
	snprintf(dir, sizeof(dir), "%s/configs/guests", d ? d : ".");
	DIR *dp = opendir(dir);
	struct dirent *e;
	while (dp && n < 64 && (e = readdir(dp))) {
		size_t l = strlen(e->d_name);
		if (l > 5 && !strcmp(e->d_name + l - 5, ".json"))
			names[n++] = strndup(e->d_name, l - 5);
	}
	if (dp)
		closedir(dp);
	qsort(names, (size_t)n, sizeof(names[0]), name_cmp);
	for (int i = 0; i < n; i++) {
		size_t used = strlen(out);
		snprintf(out + used, len - used, "%s%s", used ? ", " : "",
			 names[i] ? names[i] : "");
		free(names[i]);
	}
}

/* NAME -> DATA/configs/guests/NAME.json; anything with a '/' or ".json" is a file. */
static int topo_path(const char *arg, struct gtopo *t)
{
	size_t n = strlen(arg);
	bool file = strchr(arg, '/') || (n > 5 && !strcmp(arg + n - 5, ".json"));
	const char *d = data_dir();
	if (file)
		return path_fmt(t->path, sizeof(t->path), "%s", arg);
	if (n == 0 || n >= sizeof(t->name) ||
	    strspn(arg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLM"
			"NOPQRSTUVWXYZ0123456789._-") != n ||
	    !d) {
		char names[512];
		list_topologies(names, sizeof(names));
		nb_err("guest: unknown topology \"%s\" (valid: %s, or a FILE.json)", arg,
		       names[0] ? names : "none found: set NUMABENCH_DATA");
		return -1;
	}
	return path_fmt(t->path, sizeof(t->path), "%s/configs/guests/%s.json", d, arg);
}

static int node_mem(const char *path, int i, json_t *v, uint64_t *mem)
{
	if (json_is_integer(v) && json_integer_value(v) > 0)
		*mem = (uint64_t)json_integer_value(v);
	else if (!json_is_string(v) || nb_parse_size(json_string_value(v), mem))
		*mem = 0;
	if (*mem < G_MIN_NODE_MEM || *mem % G_MIN_NODE_MEM) {
		nb_err("guest: topology %s: node %d: \"memory\" must be a multiple of 128M, at "
		       "least 128M (e.g. \"512M\", \"1G\")",
		       path, i);
		return -1;
	}
	return 0;
}

static int node_cpus(struct gtopo *t, int i, json_t *cpus, bool *seen)
{
	size_t k;
	json_t *c;
	if (!json_is_array(cpus)) {
		nb_err("guest: topology %s: node %d: \"cpus\" must be an array of cpu ids ([] for "
		       "a memory-only node)",
		       t->path, i);
		return -1;
	}
	json_array_foreach(cpus, k, c)
	{
		json_int_t id = json_integer_value(c);
		if (!json_is_integer(c) || id < 0 || id >= G_MAX_CPUS || seen[id]) {
			nb_err("guest: topology %s: node %d: cpu %s is invalid or repeated (valid: "
			       "0..%d, each cpu on one node)",
			       t->path, i, json_is_integer(c) ? "id" : "entry", G_MAX_CPUS - 1);
			return -1;
		}
		seen[id] = true;
		t->nodes[i].cpus[t->nodes[i].ncpus++] = (int)id;
		t->ncpus++;
	}
	return 0;
}

static int topo_node(struct gtopo *t, int i, json_t *o, bool *seen)
{
	json_t *id = json_object_get(o, "id"), *ini = json_object_get(o, "initiator");
	if (!json_is_object(o) || !json_is_integer(id) || json_integer_value(id) != i) {
		nb_err("guest: topology %s: node %d: \"id\" must be %d (nodes are listed in id "
		       "order 0..N-1, as QEMU numbers them)",
		       t->path, i, i);
		return -1;
	}
	if (node_cpus(t, i, json_object_get(o, "cpus"), seen) ||
	    node_mem(t->path, i, json_object_get(o, "memory"), &t->nodes[i].mem))
		return -1;
	t->total_mem += t->nodes[i].mem;
	t->nodes[i].initiator = ini ? (int)json_integer_value(ini) : -1;
	if (ini && (!json_is_integer(ini) || json_integer_value(ini) < 0 ||
		    json_integer_value(ini) >= G_MAX_NODES)) {
		nb_err("guest: topology %s: node %d: \"initiator\" must be a node id", t->path, i);
		return -1;
	}
	return 0;
}

static int topo_nodes(json_t *doc, struct gtopo *t)
{
	json_t *nodes = json_object_get(doc, "nodes");
	bool seen[G_MAX_CPUS] = {false};
	size_t n = json_array_size(nodes);
	if (!json_is_array(nodes) || n < 1 || n > G_MAX_NODES) {
		nb_err("guest: topology %s: \"nodes\" must be an array of 1..%d nodes", t->path,
		       G_MAX_NODES);
		return -1;
	}
	t->nnodes = (int)n;
	for (int i = 0; i < t->nnodes; i++)
		if (topo_node(t, i, json_array_get(nodes, (size_t)i), seen))
			return -1;
	for (int c = 0; c < t->ncpus; c++) {
		if (!seen[c]) {
			nb_err(
			    "guest: topology %s: cpu ids must be 0..%d without gaps (cpu %d is on "
			    "no node)",
			    t->path, t->ncpus - 1, c);
			return -1;
		}
	}
	if (t->ncpus == 0 || t->total_mem > G_MAX_TOTAL_MEM) {
		nb_err("guest: topology %s: needs at least one cpu and at most 16G of memory in "
		       "total",
		       t->path);
		return -1;
	}
	return 0;
}

/* SLIT rules shared by QEMU and Linux: 10 on the diagonal, 11..254 elsewhere. */
static int topo_dist(json_t *doc, struct gtopo *t)
{
	json_t *d = json_object_get(doc, "distances");
	if (!d)
		return 0;
	bool ok = json_is_array(d) && json_array_size(d) == (size_t)t->nnodes;
	for (int i = 0; ok && i < t->nnodes; i++) {
		json_t *row = json_array_get(d, (size_t)i);
		ok = json_is_array(row) && json_array_size(row) == (size_t)t->nnodes;
		for (int j = 0; ok && j < t->nnodes; j++) {
			json_int_t v = json_integer_value(json_array_get(row, (size_t)j));
			t->dist[i][j] = (int)v;
			ok = i == j ? v == 10 : v > 10 && v < 255;
		}
	}
	if (!ok) {
		nb_err("guest: topology %s: \"distances\" must be a %dx%d matrix (row = from node) "
		       "with 10 on the diagonal and 11..254 elsewhere",
		       t->path, t->nnodes, t->nnodes);
		return -1;
	}
	t->have_dist = true;
	return 0;
}

/* One HMAT matrix [initiator][target]; rows of memory-only nodes are null. */
static int hmat_matrix(struct gtopo *t, json_t *m, const char *key,
		       uint64_t v[G_MAX_NODES][G_MAX_NODES])
{
	if (!m)
		return 0;
	bool ok = json_is_array(m) && json_array_size(m) == (size_t)t->nnodes;
	for (int i = 0; ok && i < t->nnodes; i++) {
		json_t *row = json_array_get(m, (size_t)i);
		if (t->nodes[i].ncpus == 0) {
			ok = json_is_null(row);
			continue;
		}
		ok = json_is_array(row) && json_array_size(row) == (size_t)t->nnodes;
		for (int j = 0; ok && j < t->nnodes; j++) {
			json_int_t x = json_integer_value(json_array_get(row, (size_t)j));
			v[i][j] = (uint64_t)x;
			ok = x > 0 && x < (1ll << 40);
		}
	}
	if (!ok)
		nb_err("guest: topology %s: hmat.%s must be a %dx%d matrix [initiator][target] of "
		       "positive integers, with null rows for nodes without cpus",
		       t->path, key, t->nnodes, t->nnodes);
	return ok ? 0 : -1;
}

/* With HMAT every node names its initiator (QEMU requires it): default itself. */
static int topo_hmat(json_t *doc, struct gtopo *t)
{
	json_t *h = json_object_get(doc, "hmat");
	if (!h)
		return 0;
	t->hmat = true;
	for (int i = 0; i < t->nnodes; i++) {
		struct gnode *n = &t->nodes[i];
		if (n->initiator < 0 && n->ncpus)
			n->initiator = i;
		if (n->initiator < 0 || n->initiator >= t->nnodes ||
		    !t->nodes[n->initiator].ncpus) {
			nb_err(
			    "guest: topology %s: node %d: with \"hmat\", \"initiator\" must name "
			    "a node that has cpus",
			    t->path, i);
			return -1;
		}
	}
	if (!json_is_object(h) ||
	    (!json_object_get(h, "latency_ns") && !json_object_get(h, "bandwidth_MiBps"))) {
		nb_err("guest: topology %s: \"hmat\" needs latency_ns and/or bandwidth_MiBps",
		       t->path);
		return -1;
	}
	return hmat_matrix(t, json_object_get(h, "latency_ns"), "latency_ns", t->lat_ns) ||
	       hmat_matrix(t, json_object_get(h, "bandwidth_MiBps"), "bandwidth_MiBps", t->bw_mib);
}

static int topo_load(const char *arg, struct gtopo *t)
{
	memset(t, 0, sizeof(*t));
	if (topo_path(arg, t))
		return -1;
	char err[PATH_MAX + 256];
	json_t *doc = access(t->path, F_OK)
			  ? NULL
			  : nb_json_load(t->path, NB_CONFIG_MAX_BYTES, err, sizeof(err));
	if (!doc) {
		char names[512];
		list_topologies(names, sizeof(names));
		if (access(t->path, F_OK))
			nb_err("guest: unknown topology \"%s\": no file %s (valid: %s, or a "
			       "FILE.json)",
			       arg, t->path, names);
		else
			nb_err("guest: topology %s", err);
		return -1;
	}
	const char *name = json_string_value(json_object_get(doc, "name"));
	const char *base = strrchr(t->path, '/') ? strrchr(t->path, '/') + 1 : t->path;
	snprintf(t->name, sizeof(t->name), "%.*s", (int)strcspn(base, "."), base);
	if (name && *name &&
	    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-_.") == strlen(name))
		snprintf(t->name, sizeof(t->name), "%s", name);
	int rc =
	    !json_is_object(doc) || topo_nodes(doc, t) || topo_dist(doc, t) || topo_hmat(doc, t);
	if (!json_is_object(doc))
		nb_err("guest: topology %s: must be a JSON object", t->path);
	json_decref(doc);
	return rc ? -1 : 0;
}

/* ------------------------------------------------------------------------------------ */
/* Kernels: Debian packages fetched into the cache, or any bzImage                       */

struct gkernel {
	char label[64], path[PATH_MAX], package[128], version[128];
};

struct kseries {
	const char *label, *prefix, *suffix;
};

/* Debian bookworm: linux-image-6.1.0-ABI-amd64 and linux-image-6.12.N+deb12-amd64
 * (signed images; -rt and -cloud flavours are excluded by the exact suffix). */
static const struct kseries kseries[] = {
    {"6.1", "linux-image-6.1.0-", "-amd64"},
    {"6.12", "linux-image-6.12.", "+deb12-amd64"},
};

/* The number between prefix and suffix, or -1 when name is not of the series. */
static long series_number(const struct kseries *s, const char *name)
{
	size_t pl = strlen(s->prefix), sl = strlen(s->suffix), n = strlen(name);
	if (n <= pl + sl || strncmp(name, s->prefix, pl) || strcmp(name + n - sl, s->suffix))
		return -1;
	size_t digits = strspn(name + pl, "0123456789");
	return digits == n - pl - sl ? strtol(name + pl, NULL, 10) : -1;
}

struct kcand {
	char name[128];
	long num;
};

static void cand_add(struct kcand *c, int *n, int max, const struct kseries *s, const char *name)
{
	long num = series_number(s, name);
	if (num < 0 || *n >= max || strlen(name) >= sizeof(c->name))
		return;
	for (int i = 0; i < *n; i++)
		if (!strcmp(c[i].name, name))
			return;
	snprintf(c[*n].name, sizeof(c->name), "%s", name);
	c[(*n)++].num = num;
}

static int cand_cmp(const void *a, const void *b)
{
	long x = ((const struct kcand *)a)->num, y = ((const struct kcand *)b)->num;
	return (x < y) - (x > y); /* newest first */
}

/* Package names from apt-cache (what apt knows) and from the cache (what we have). */
static int kernel_candidates(const struct kseries *s, const char *kdir, struct kcand *c, int max)
{
	static char out[1 << 16];
	char *argv[] = {"apt-cache", "pkgnames", (char *)s->prefix, NULL};
	int n = 0;
	if (run_capture(argv, NULL, out, sizeof(out)) == 0) {
		for (char *l = strtok(out, "\n"); l; l = strtok(NULL, "\n"))
			cand_add(c, &n, max, s, l);
	}
	DIR *d = opendir(kdir);
	struct dirent *e;
	char vml[PATH_MAX];
	while (d && (e = readdir(d))) {
		/* We hold the cache lock: a scratch folder here is from a killed fetch. */
		if (!strncmp(e->d_name, ".fetch-", 7) &&
		    !path_fmt(vml, sizeof(vml), "%s/%.200s", kdir, e->d_name))
			rm_rf(vml);
		path_fmt(vml, sizeof(vml), "%s/%.200s/vmlinuz", kdir, e->d_name);
		if (is_file(vml))
			cand_add(c, &n, max, s, e->d_name);
	}
	if (d)
		closedir(d);
	qsort(c, (size_t)n, sizeof(*c), cand_cmp);
	return n;
}

/* First file in dir whose name starts with prefix (and ends with suffix). */
static int find_entry(const char *dir, const char *prefix, const char *suffix, char *out,
		      size_t len)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int rc = -1;
	while (d && rc && (e = readdir(d))) {
		size_t n = strlen(e->d_name), sl = strlen(suffix);
		if (!strncmp(e->d_name, prefix, strlen(prefix)) && n >= sl &&
		    !strcmp(e->d_name + n - sl, suffix))
			rc = path_fmt(out, len, "%s/%s", dir, e->d_name);
	}
	if (d)
		closedir(d);
	return rc;
}

static int write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int rc = fd < 0 ? -1 : nb_write_all(fd, text, strlen(text));
	if (fd >= 0 && close(fd))
		rc = -1;
	return rc;
}

/* Version from NAME_VERSION_ARCH.deb (%3a is an epoch's colon). */
static void deb_version(const char *deb, char *out, size_t len)
{
	const char *base = strrchr(deb, '/') ? strrchr(deb, '/') + 1 : deb;
	const char *a = strchr(base, '_'), *b = a ? strchr(a + 1, '_') : NULL;
	snprintf(out, len, "%.*s", a && b ? (int)(b - a - 1) : 0, a ? a + 1 : "");
	char *pct = strstr(out, "%3a");
	if (pct) {
		*pct = ':';
		memmove(pct + 1, pct + 3, strlen(pct + 3) + 1);
	}
}

/* Keep only vmlinuz, config and the version of an unpacked package. */
static int kernel_keep(const char *tmp, const char *deb, const char *dest)
{
	char boot[PATH_MAX], src[PATH_MAX], out[PATH_MAX], dst[PATH_MAX + 16], ver[128];
	if (path_fmt(boot, sizeof(boot), "%s/root/boot", tmp) ||
	    path_fmt(out, sizeof(out), "%s/keep", tmp) || mkdir(out, 0755) ||
	    find_entry(boot, "vmlinuz-", "", src, sizeof(src)))
		return -1;
	snprintf(dst, sizeof(dst), "%s/vmlinuz", out);
	if (rename(src, dst))
		return -1;
	snprintf(dst, sizeof(dst), "%s/release", out);
	write_text(dst, strrchr(src, '/') + strlen("/vmlinuz-"));
	if (!find_entry(boot, "config-", "", src, sizeof(src))) {
		snprintf(dst, sizeof(dst), "%s/config", out);
		rename(src, dst);
	}
	deb_version(deb, ver, sizeof(ver));
	snprintf(dst, sizeof(dst), "%s/version", out);
	write_text(dst, ver);
	return rename(out, dest);
}

/* apt-get download + dpkg -x in a scratch folder of the cache; never installs. */
static int kernel_fetch(const char *kdir, const char *pkg)
{
	char tmp[PATH_MAX], deb[PATH_MAX], dest[PATH_MAX], out[8192], line[256];
	if (path_fmt(tmp, sizeof(tmp), "%s/.fetch-XXXXXX", kdir) || !mkdtemp(tmp) ||
	    path_fmt(dest, sizeof(dest), "%s/%s", kdir, pkg))
		return -1;
	fprintf(stderr,
		"numabench: guest: fetching %s with apt-get download (once; cached in %s)\n", pkg,
		kdir);
	char *dl[] = {"apt-get", "download", "-q", (char *)pkg, NULL};
	int rc = run_capture(dl, tmp, out, sizeof(out));
	if (rc == 0 && find_entry(tmp, pkg, ".deb", deb, sizeof(deb)) == 0) {
		char *x[] = {"dpkg", "-x", deb, "root", NULL};
		rc = run_capture(x, tmp, out, sizeof(out));
		if (rc == 0 && kernel_keep(tmp, deb, dest)) {
			snprintf(out, sizeof(out), "no boot/vmlinuz-* in %s", deb);
			rc = -1;
		}
	} else if (rc == 0) {
		rc = -1;
	}
	if (rc) {
		first_line(out, line, sizeof(line));
		nb_warn("guest: cannot fetch %s: %s", pkg,
			line[0] ? line : "apt-get download failed");
	}
	rm_rf(tmp);
	return rc ? -1 : 0;
}

static void kernel_fill(struct gkernel *k, const char *kdir, const char *pkg)
{
	char p[PATH_MAX];
	size_t n;
	path_fmt(k->package, sizeof(k->package), "%s", pkg);
	path_fmt(k->path, sizeof(k->path), "%s/%s/vmlinuz", kdir, pkg);
	path_fmt(p, sizeof(p), "%s/%s/version", kdir, pkg);
	char *v = nb_read_all(p, 4096, &n);
	snprintf(k->version, sizeof(k->version), "%s", v ? v : "");
	free(v);
}

/* The newest package of the series that is cached or can be fetched. */
static int kernel_debian(const struct kseries *s, const char *cache, struct gkernel *k)
{
	char kdir[PATH_MAX], vml[PATH_MAX + 200];
	struct kcand c[64];
	if (path_fmt(kdir, sizeof(kdir), "%s/kernels", cache) || mkdir_p(kdir, 0755))
		return -1;
	int n = kernel_candidates(s, kdir, c, 64), fetches = 0;
	/* Newest first; after two failed downloads (offline?) only what is cached. */
	for (int i = 0; i < n; i++) {
		path_fmt(vml, sizeof(vml), "%s/%s/vmlinuz", kdir, c[i].name);
		if (is_file(vml) || (fetches++ < 2 && kernel_fetch(kdir, c[i].name) == 0)) {
			snprintf(k->label, sizeof(k->label), "%s", s->label);
			kernel_fill(k, kdir, c[i].name);
			return 0;
		}
	}
	nb_err("guest: no usable Debian kernel %s*%s: %s (run apt-get update, or pass --kernel "
	       "PATH to a bzImage)",
	       s->prefix, s->suffix,
	       n ? "the newest packages could not be downloaded"
		 : "apt-cache knows no such package");
	return -1;
}

/* A bzImage carries "HdrS" at offset 0x202 (Linux x86 boot protocol). */
static bool is_bzimage(const char *path)
{
	char magic[4] = {0};
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool ok = fd >= 0 && pread(fd, magic, 4, 0x202) == 4 && !memcmp(magic, "HdrS", 4);
	if (fd >= 0)
		close(fd);
	return ok;
}

static int kernel_resolve(const char *spec, const char *cache, struct gkernel *k)
{
	memset(k, 0, sizeof(*k));
	for (size_t i = 0; i < sizeof(kseries) / sizeof(kseries[0]); i++)
		if (!strcmp(spec, kseries[i].label))
			return kernel_debian(&kseries[i], cache, k);
	if (!is_file(spec) || !is_bzimage(spec)) {
		nb_err("guest: --kernel %s is not valid: %s (valid: 6.1, 6.12, or the path of a "
		       "bzImage)",
		       spec, is_file(spec) ? "not a bzImage" : "no such series or file");
		return -1;
	}
	if (!realpath(spec, k->path))
		return -1;
	const char *base = strrchr(k->path, '/') + 1;
	size_t n =
	    strspn(base, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_+");
	snprintf(k->label, sizeof(k->label), "%.*s", n ? (int)n : 6, n ? base : "custom");
	return 0;
}

/* ------------------------------------------------------------------------------------ */
/* Initramfs: newc cpio written here, cached by the SHA-256 of its inputs                */

enum ent_kind { ENT_FILE, ENT_DATA, ENT_LINK };

struct ent {
	char name[PATH_MAX]; /* path inside the archive, without the leading '/' */
	char src[PATH_MAX];  /* ENT_FILE: host file */
	char *data;	     /* ENT_DATA: contents; ENT_LINK: target */
	enum ent_kind kind;
	unsigned perm;
};

struct manifest {
	struct ent *v;
	int n, cap;
	char libdirs[2048]; /* colon-separated, for LD_LIBRARY_PATH in the guest */
};

static struct ent *ent_add(struct manifest *m, const char *name, enum ent_kind kind, unsigned perm)
{
	while (*name == '/')
		name++;
	for (int i = 0; i < m->n; i++)
		if (!strcmp(m->v[i].name, name))
			return NULL; /* first one wins (the same library named twice) */
	if (m->n == m->cap) {
		int cap = m->cap ? 2 * m->cap : 32;
		struct ent *v = realloc(m->v, (size_t)cap * sizeof(*v));
		if (!v)
			return NULL;
		m->v = v;
		m->cap = cap;
	}
	struct ent *e = &m->v[m->n++];
	memset(e, 0, sizeof(*e));
	snprintf(e->name, sizeof(e->name), "%s", name);
	e->kind = kind;
	e->perm = perm;
	return e;
}

static void ent_file(struct manifest *m, const char *name, const char *src, unsigned perm)
{
	struct ent *e = ent_add(m, name, ENT_FILE, perm);
	if (e)
		path_fmt(e->src, sizeof(e->src), "%s", src);
}

static void ent_data(struct manifest *m, const char *name, const char *data, enum ent_kind k)
{
	struct ent *e = ent_add(m, name, k, k == ENT_LINK ? 0777 : 0644);
	if (e)
		e->data = strdup(data);
}

static void manifest_free(struct manifest *m)
{
	for (int i = 0; i < m->n; i++)
		free(m->v[i].data);
	free(m->v);
	memset(m, 0, sizeof(*m));
}

static void libdir_add(struct manifest *m, const char *lib)
{
	char dir[PATH_MAX], pat[PATH_MAX + 2];
	snprintf(dir, sizeof(dir), "%.*s", (int)(strrchr(lib, '/') - lib), lib);
	snprintf(pat, sizeof(pat), ":%s:", dir);
	char have[sizeof(m->libdirs) + 2];
	snprintf(have, sizeof(have), ":%s:", m->libdirs);
	if (strstr(have, pat) || strlen(m->libdirs) + strlen(dir) + 2 > sizeof(m->libdirs))
		return;
	if (m->libdirs[0])
		strcat(m->libdirs, ":");
	strcat(m->libdirs, dir);
}

/* One line of ldd: "libx.so => /path (0x..)" or "/lib64/ld-linux... (0x..)". */
static int ldd_line(struct manifest *m, const char *bin, char *line)
{
	char *arrow = strstr(line, "=> "), *path = arrow ? arrow + 3 : line, real[PATH_MAX];
	path += strspn(path, " \t");
	if (strstr(line, "not found")) {
		nb_err("guest: %s needs a library that is not found: %s", bin,
		       line + strspn(line, " \t"));
		return -1;
	}
	if (*path != '/')
		return 0; /* the vDSO */
	path[strcspn(path, " (")] = 0;
	if (!realpath(path, real)) {
		nb_err("guest: ldd names %s for %s but it cannot be read", path, bin);
		return -1;
	}
	ent_file(m, path, real, 0755);
	libdir_add(m, path);
	return 0;
}

/* The shared libraries ldd names, copied with their loader at the paths named. */
static int add_libs(struct manifest *m, const char *bin)
{
	static char out[1 << 16];
	char *argv[] = {"ldd", (char *)bin, NULL}, line[256];
	int rc = run_capture(argv, NULL, out, sizeof(out));
	if (strstr(out, "not a dynamic executable") || strstr(out, "statically linked"))
		return 0;
	if (rc) {
		first_line(out, line, sizeof(line));
		nb_err("guest: ldd %s failed: %s", bin, line);
		return -1;
	}
	for (char *l = strtok(out, "\n"); l; l = strtok(NULL, "\n")) {
		if (ldd_line(m, bin, l))
			return -1;
	}
	return 0;
}

/* The suites (configs/NAME.json), where the guest numabench looks from its folder. */
static void add_configs(struct manifest *m)
{
	char dir[PATH_MAX], src[PATH_MAX + 256], name[300];
	const char *d = data_dir(), *env = getenv("NUMABENCH_CONFIGS"); /* as `run` does */
	int rc = -1;
	if (env && *env)
		rc = path_fmt(dir, sizeof(dir), "%s", env);
	else if (d)
		rc = path_fmt(dir, sizeof(dir), "%s/configs", d);
	if (rc)
		return;
	DIR *dp = opendir(dir);
	struct dirent *e;
	while (dp && (e = readdir(dp))) {
		size_t n = strlen(e->d_name);
		snprintf(src, sizeof(src), "%s/%s", dir, e->d_name);
		snprintf(name, sizeof(name), "opt/numabench/configs/%s", e->d_name);
		if (n > 5 && !strcmp(e->d_name + n - 5, ".json") && is_file(src))
			ent_file(m, name, src, 0644);
	}
	if (dp)
		closedir(dp);
}

static int find_busybox(char *out)
{
	static const char *const cands[] = {"/bin/busybox", "/usr/bin/busybox", "/sbin/busybox"};
	for (size_t i = 0; i < sizeof(cands) / sizeof(cands[0]); i++)
		if (is_file(cands[i]) && realpath(cands[i], out))
			return 0;
	nb_err("guest: busybox not found: install it with: apt-get install busybox-static");
	return -1;
}

static int guest_binary(char *out)
{
	const char *env = getenv("NUMABENCH_GUEST_BINARY");
	const char *p = env && *env ? env : "/proc/self/exe";
	if (!realpath(p, out) || !is_file(out)) {
		nb_err("guest: cannot read the numabench binary %s to put in the guest", p);
		return -1;
	}
	return 0;
}

static int ent_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ent *)a)->name, ((const struct ent *)b)->name);
}

static int manifest_build(struct manifest *m)
{
	char init[PATH_MAX], bb[PATH_MAX], bin[PATH_MAX];
	if (init_script(init, sizeof(init)) || find_busybox(bb) || guest_binary(bin))
		return -1;
	ent_file(m, "init", init, 0755);
	ent_file(m, "bin/busybox", bb, 0755);
	ent_file(m, "opt/numabench/numabench", bin, 0755);
	if (add_libs(m, bb) || add_libs(m, bin))
		return -1;
	add_configs(m);
	ent_data(m, "etc/numabench/libpath", m->libdirs, ENT_DATA);
	/* An installed numabench looks in PREFIX/share/numabench: make that the same place. */
	ent_data(m, "usr/local/share/numabench", "/opt/numabench", ENT_LINK);
	qsort(m->v, (size_t)m->n, sizeof(*m->v), ent_cmp);
	return 0;
}

/* The cache key: format version, and every entry's name, kind, mode and contents. */
static int manifest_hash(const struct manifest *m, char hex[65])
{
	struct sha256 s;
	sha256_init(&s);
	sha256_update(&s, "numabench-initramfs/1", 22);
	for (int i = 0; i < m->n; i++) {
		const struct ent *e = &m->v[i];
		char hdr[64];
		int n = snprintf(hdr, sizeof(hdr), "|%d|%o|", (int)e->kind, e->perm);
		sha256_update(&s, e->name, strlen(e->name) + 1);
		sha256_update(&s, hdr, (size_t)n);
		if (e->kind != ENT_FILE)
			sha256_update(&s, e->data, strlen(e->data) + 1);
		else if (sha256_file(&s, e->src)) {
			nb_err("guest: cannot read %s: %s", e->src, strerror(errno));
			return -1;
		}
	}
	sha256_hex(&s, hex);
	return 0;
}

/* newc writer. Directories are emitted once, before the first entry beneath them. */
struct cpio {
	FILE *f;
	uint32_t ino;
	char dirs[64][256];
	int ndirs;
};

static void cpio_pad(FILE *f, long upto)
{
	long pos = ftell(f);
	while (pos++ % upto)
		fputc(0, f);
}

static void cpio_hdr(struct cpio *c, const char *name, uint32_t mode, uint32_t size)
{
	uint32_t nlen = (uint32_t)strlen(name) + 1;
	fprintf(c->f, "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", ++c->ino, mode,
		0u, 0u, S_ISDIR(mode) ? 2u : 1u, 0u, size, 0u, 0u, 0u, 0u, nlen, 0u);
	fwrite(name, 1, nlen, c->f);
	cpio_pad(c->f, 4);
}

static void cpio_dirs(struct cpio *c, const char *name)
{
	char dir[256];
	for (const char *p = strchr(name, '/'); p; p = strchr(p + 1, '/')) {
		snprintf(dir, sizeof(dir), "%.*s", (int)(p - name), name);
		bool seen = false;
		for (int i = 0; i < c->ndirs && !seen; i++)
			seen = !strcmp(c->dirs[i], dir);
		if (seen || c->ndirs == 64)
			continue;
		snprintf(c->dirs[c->ndirs++], sizeof(c->dirs[0]), "%s", dir);
		cpio_hdr(c, dir, S_IFDIR | 0755, 0);
	}
}

static int cpio_file(struct cpio *c, const char *name, const char *src, unsigned perm)
{
	int fd = open(src, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) || st.st_size > UINT32_MAX) {
		if (fd >= 0)
			close(fd);
		nb_err("guest: cannot read %s: %s", src, strerror(errno));
		return -1;
	}
	cpio_hdr(c, name, S_IFREG | perm, (uint32_t)st.st_size);
	fflush(c->f);
	int rc = copy_fd(fd, fileno(c->f));
	close(fd);
	fseek(c->f, 0, SEEK_END);
	cpio_pad(c->f, 4);
	return rc;
}

static int cpio_ent(struct cpio *c, const struct ent *e)
{
	cpio_dirs(c, e->name);
	if (e->kind == ENT_FILE)
		return cpio_file(c, e->name, e->src, e->perm);
	uint32_t mode = (e->kind == ENT_LINK ? S_IFLNK : S_IFREG) | e->perm;
	cpio_hdr(c, e->name, mode, (uint32_t)strlen(e->data));
	fputs(e->data, c->f);
	cpio_pad(c->f, 4);
	return 0;
}

static int cpio_finish(struct cpio *c)
{
	cpio_hdr(c, "TRAILER!!!", 0, 0);
	cpio_pad(c->f, 512);
	int rc = ferror(c->f) ? -1 : 0;
	return fclose(c->f) || rc ? -1 : 0;
}

static int cpio_write(const char *path, const struct manifest *m)
{
	struct cpio c = {.f = fopen(path, "wbe")};
	if (!c.f)
		return -1;
	for (int i = 0; i < m->n; i++) {
		if (cpio_ent(&c, &m->v[i])) {
			fclose(c.f);
			return -1;
		}
	}
	return cpio_finish(&c);
}

struct cached {
	time_t mtime;
	char name[80];
};

static int mtime_cmp(const void *a, const void *b)
{
	time_t x = ((const struct cached *)a)->mtime, y = ((const struct cached *)b)->mtime;
	return (x < y) - (x > y);
}

/* Keep the newest few cached archives (a rebuilt numabench makes a new one each time). */
static void initramfs_prune(const char *dir)
{
	struct cached c[64];
	struct stat st;
	char p[PATH_MAX + 100];
	int n = 0;
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && n < 64 && (e = readdir(d))) {
		snprintf(p, sizeof(p), "%s/%.70s", dir, e->d_name);
		if (!strstr(e->d_name, ".cpio") || stat(p, &st))
			continue;
		c[n].mtime = st.st_mtime;
		snprintf(c[n++].name, sizeof(c[0].name), "%.70s", e->d_name);
	}
	if (d)
		closedir(d);
	qsort(c, (size_t)n, sizeof(c[0]), mtime_cmp);
	for (int i = G_INITRAMFS_KEEP; i < n; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, c[i].name);
		unlink(p);
	}
}

/* The cached base archive for this binary, built when its inputs changed. */
static int initramfs_base(const char *cache, char *out, size_t len)
{
	struct manifest m = {0};
	char hex[65], dir[PATH_MAX], tmp[PATH_MAX + 16];
	int rc = manifest_build(&m) || manifest_hash(&m, hex) ||
		 path_fmt(dir, sizeof(dir), "%s/initramfs", cache) || mkdir_p(dir, 0755) ||
		 path_fmt(out, len, "%s/%.16s.cpio", dir, hex);
	if (rc == 0 && is_file(out)) {
		utimensat(AT_FDCWD, out, NULL, 0); /* most recently used */
	} else if (rc == 0) {
		nb_info("guest: building initramfs %s (%d entries)", out, m.n);
		snprintf(tmp, sizeof(tmp), "%s.tmp", out);
		rc = cpio_write(tmp, &m) || rename(tmp, out);
		if (rc) {
			nb_err("guest: cannot write the initramfs %s: %s", tmp, strerror(errno));
			unlink(tmp);
		}
		initramfs_prune(dir);
	}
	manifest_free(&m);
	return rc ? -1 : 0;
}

/* The run's initrd: the base archive, then one holding /nb/args and /nb/mode (the kernel
 * unpacks concatenated archives in order). */
static int initramfs_run(const char *base, const char *path, const char *mode, const char *script,
			 int argc, char **argv)
{
	size_t len = 1;
	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	char *args = calloc(1, len);
	for (int i = 0; args && i < argc; i++)
		strcat(strcat(args, argv[i]), "\n");
	if (!args || copy_file(base, path, O_TRUNC)) {
		free(args);
		nb_err("guest: cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	struct cpio c = {.f = fopen(path, "abe")};
	if (!c.f) {
		free(args);
		return -1;
	}
	/* --script: a test scenario run inside the guest instead of numabench itself. */
	size_t slen = 0;
	char *sdata = script ? nb_read_all(script, 1 << 20, &slen) : NULL;
	if (script && !sdata) {
		nb_err("guest: --script %s: cannot read it: %s", script, strerror(errno));
		fclose(c.f);
		free(args);
		return -1;
	}
	struct ent e[3] = {
	    {.name = "nb/args", .kind = ENT_DATA, .perm = 0644, .data = args},
	    {.name = "nb/mode", .kind = ENT_DATA, .perm = 0644, .data = (char *)mode},
	    {.name = "nb/script", .kind = ENT_DATA, .perm = 0755, .data = sdata}};
	int rc = cpio_ent(&c, &e[0]) || cpio_ent(&c, &e[1]) || (sdata && cpio_ent(&c, &e[2])) ||
		 cpio_finish(&c);
	free(sdata);
	free(args);
	return rc ? -1 : 0;
}

/* ------------------------------------------------------------------------------------ */
/* QEMU                                                                                  */

extern volatile int nb_interrupted; /* util.c: set by the program's signal handlers */

struct argvec {
	char *v[512];
	int n;
};

static void av_add(struct argvec *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void av_add(struct argvec *a, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	va_start(ap, fmt);
	if (a->n < (int)(sizeof(a->v) / sizeof(a->v[0])) - 1 && vasprintf(&s, fmt, ap) >= 0)
		a->v[a->n++] = s;
	va_end(ap);
	a->v[a->n] = NULL;
}

static void av_free(struct argvec *a)
{
	for (int i = 0; i < a->n; i++)
		free(a->v[i]);
	a->n = 0;
}

static const char *qemu_bin(void)
{
	const char *env = getenv("NUMABENCH_QEMU");
	return env && *env ? env : "qemu-system-x86_64";
}

static void qemu_numa(struct argvec *a, const struct gtopo *t)
{
	for (int i = 0; i < t->nnodes; i++) {
		const struct gnode *n = &t->nodes[i];
		char node[1024];
		int len = snprintf(node, sizeof(node), "node,nodeid=%d,memdev=m%d", i, i);
		for (int c = 0; c < n->ncpus && len < 900; c++)
			len += snprintf(node + len, sizeof(node) - (size_t)len, ",cpus=%d",
					n->cpus[c]);
		if (t->hmat)
			snprintf(node + len, sizeof(node) - (size_t)len, ",initiator=%d",
				 n->initiator);
		av_add(a, "-object");
		av_add(a, "memory-backend-ram,id=m%d,size=%lluM", i,
		       (unsigned long long)(n->mem >> 20));
		av_add(a, "-numa");
		av_add(a, "%s", node);
	}
	for (int i = 0; t->have_dist && i < t->nnodes; i++) {
		for (int j = 0; j < t->nnodes; j++) {
			if (i == j)
				continue;
			av_add(a, "-numa");
			av_add(a, "dist,src=%d,dst=%d,val=%d", i, j, t->dist[i][j]);
		}
	}
}

/* HMAT: QEMU takes latency in ns and bandwidth in bytes/s (M = MiB); Linux publishes
 * the values of each target's initiator in sysfs, in ns and MB/s. */
static void qemu_hmat(struct argvec *a, const struct gtopo *t)
{
	for (int i = 0; t->hmat && i < t->nnodes; i++) {
		for (int j = 0; t->nodes[i].ncpus && j < t->nnodes; j++) {
			if (t->lat_ns[i][j]) {
				av_add(a, "-numa");
				av_add(a,
				       "hmat-lb,initiator=%d,target=%d,hierarchy=memory,"
				       "data-type=access-latency,latency=%llu",
				       i, j, (unsigned long long)t->lat_ns[i][j]);
			}
			if (t->bw_mib[i][j]) {
				av_add(a, "-numa");
				av_add(a,
				       "hmat-lb,initiator=%d,target=%d,hierarchy=memory,"
				       "data-type=access-bandwidth,bandwidth=%lluM",
				       i, j, (unsigned long long)t->bw_mib[i][j]);
			}
		}
	}
}

/* Everything QEMU opens lives in the work folder: no user path is parsed by QEMU. */
static void qemu_args(struct argvec *a, const struct gtopo *t, const char *accel, const char *work,
		      const char *append)
{
	bool kvm = !strcmp(accel, "kvm");
	av_add(a, "%s", qemu_bin());
	static const char *const fixed[] = {
	    "-nodefaults", "-no-user-config", "-nographic", "-monitor", "none", "-no-reboot"};
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		av_add(a, "%s", fixed[i]);
	av_add(a, "-machine");
	av_add(a, "q35%s", t->hmat ? ",hmat=on" : "");
	av_add(a, "-accel");
	/*
	 * TCG runs one host thread per vCPU by default (MTTCG). Kernel text patching of static
	 * keys (int3-based text_poke_bp, flipped by numa_balancing and perf events) then races
	 * with stale translated code on the other vCPUs: a 6.12 guest oopsed with "int3" in
	 * __schedule/finish_task_switch. One round-robin thread keeps cross-vCPU code
	 * modification coherent; timings under TCG are meaningless anyway.
	 */
	av_add(a, "%s", kvm ? "kvm" : "tcg,thread=single");
	av_add(a, "-cpu");
	av_add(a, "%s", kvm ? "host" : "max");
	av_add(a, "-smp");
	av_add(a, "%d,sockets=%d,cores=1,threads=1", t->ncpus, t->ncpus);
	av_add(a, "-m");
	av_add(a, "%lluM", (unsigned long long)(t->total_mem >> 20));
	qemu_numa(a, t);
	qemu_hmat(a, t);
	av_add(a, "-kernel");
	av_add(a, "%s/vmlinuz", work);
	av_add(a, "-initrd");
	av_add(a, "%s/initrd", work);
	av_add(a, "-append");
	/* numabench.accel: the guest's numabench learns its timings are emulated (a second
	 * source beside CPUID; see nb_timing_detect). Before --append, which may override it. */
	av_add(a, "console=ttyS0,115200 panic=-1 numabench.accel=%s%s%s", kvm ? "kvm" : "tcg",
	       append[0] ? " " : "", append);
	av_add(a, "-serial");
	av_add(a, "file:%s/console", work);
	av_add(a, "-serial");
	av_add(a, "file:%s/chan", work);
}

struct qresult {
	int status; /* exit status, 128+signal; -1 when killed by us */
	bool timed_out;
	int signal; /* the signal that interrupted us */
	double secs;
};

static pid_t qemu_spawn(char **argv, const char *log)
{
	pid_t pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		/* If numabench dies, so does its guest. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd >= 0)
			child_stdio(fd);
		execvp(argv[0], argv);
		dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (pid > 0)
		setpgid(pid, pid); /* also here: no window where the group does not exist */
	return pid;
}

/* TERM the whole process group, KILL it after 3 s, and reap. */
static void qemu_kill(pid_t pid)
{
	kill(-pid, SIGTERM);
	for (int i = 0; i < 30; i++) {
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			kill(-pid, SIGKILL); /* anything it left in its group */
			return;
		}
		struct timespec ts = {0, 100000000};
		nanosleep(&ts, NULL);
	}
	kill(-pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* With -v, copy what the console file gained to stderr. */
static void stream_console(int fd)
{
	char buf[4096];
	ssize_t r;
	while (fd >= 0 && (r = read(fd, buf, sizeof(buf))) > 0)
		if (nb_write_all(2, buf, (size_t)r))
			break;
}

static void qemu_wait(pid_t pid, unsigned timeout, const char *console, struct qresult *r)
{
	uint64_t t0 = nb_now_ns(), limit = (uint64_t)timeout * 1000000000ull;
	int cfd = -1;
	for (;;) {
		int st;
		if (cfd < 0 && nb_verbose) /* QEMU creates it */
			cfd = open(console, O_RDONLY | O_CLOEXEC);
		if (waitpid(pid, &st, WNOHANG) == pid) {
			r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
			break;
		}
		if (g_signal || nb_interrupted || nb_now_ns() - t0 > limit) {
			r->signal = g_signal ? g_signal : nb_interrupted ? SIGINT : 0;
			r->timed_out = !r->signal;
			r->status = -1;
			qemu_kill(pid);
			break;
		}
		stream_console(cfd);
		struct timespec ts = {0, 100000000};
		nanosleep(&ts, NULL);
	}
	stream_console(cfd);
	if (cfd >= 0)
		close(cfd);
	r->secs = (double)(nb_now_ns() - t0) / 1e9;
}

/* Run QEMU to completion or timeout; SIGINT/SIGTERM/SIGHUP kill the guest, not us. */
static int qemu_run(char **argv, const char *work, unsigned timeout, struct qresult *r)
{
	char log[PATH_MAX], console[PATH_MAX];
	struct sigaction sa = {.sa_handler = on_guest_signal}, old[3];
	static const int sigs[3] = {SIGINT, SIGTERM, SIGHUP};
	memset(r, 0, sizeof(*r));
	if (path_fmt(log, sizeof(log), "%s/qemu.log", work) ||
	    path_fmt(console, sizeof(console), "%s/console", work))
		return -1;
	g_signal = 0;
	sigemptyset(&sa.sa_mask);
	for (int i = 0; i < 3; i++)
		sigaction(sigs[i], &sa, &old[i]);
	pid_t pid = qemu_spawn(argv, log);
	if (pid > 0)
		qemu_wait(pid, timeout, console, r);
	for (int i = 0; i < 3; i++)
		sigaction(sigs[i], &old[i], NULL);
	if (pid < 0)
		nb_err("guest: cannot start %s: %s", argv[0], strerror(errno));
	return pid < 0 ? -1 : 0;
}

/* ------------------------------------------------------------------------------------ */
/* The results channel (ttyS1): frames written by harness/initramfs/init.sh              */

struct gfile {
	char name[256];
	char *data;
	size_t len;
};

struct chan {
	bool boot, done;
	int exit_code; /* -1 when none arrived */
	int nfiles;
	struct gfile files[G_MAX_FILES];
	char error[300];
};

static int b64_val(int ch)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = ch ? strchr(tab, ch) : NULL;
	return p ? (int)(p - tab) : -1;
}

/* Base64 into out, skipping line ends (CR, LF, and the NULs next_line leaves); the
 * length, or -1 on a bad character. */
static long b64_decode(const char *in, size_t len, unsigned char *out)
{
	uint32_t acc = 0;
	int bits = 0;
	long n = 0;
	for (size_t i = 0; i < len && in[i] != '='; i++) {
		if (in[i] == '\n' || in[i] == '\r' || in[i] == 0)
			continue;
		int v = b64_val((unsigned char)in[i]);
		if (v < 0)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(acc >> bits);
		}
	}
	return n;
}

/* Line at *p (CR stripped, NUL-terminated in place); advances *p past it. */
static char *next_line(char **p, char *end)
{
	if (*p >= end)
		return NULL;
	char *line = *p, *nl = memchr(line, '\n', (size_t)(end - line));
	char *stop = nl ? nl : end;
	*p = nl ? nl + 1 : end;
	*stop = 0;
	if (stop > line && stop[-1] == '\r')
		stop[-1] = 0;
	return line;
}

/* "NB1 FILE <bytes> <sha256> <name>", base64 lines, "NB1 END": decode and verify. */
static void chan_file(struct chan *c, const char *hdr, char **p, char *end)
{
	unsigned long long size = 0;
	char sum[65] = "", got[65];
	int off = 0;
	if (sscanf(hdr, "NB1 FILE %llu %64s %n", &size, sum, &off) < 2 || !off ||
	    size > G_CHAN_MAX || c->nfiles == G_MAX_FILES) {
		snprintf(c->error, sizeof(c->error), "bad frame header \"%.100s\"", hdr);
		return;
	}
	struct gfile *f = &c->files[c->nfiles];
	snprintf(f->name, sizeof(f->name), "%s", hdr + off);
	char *body = *p, *line, *stop = NULL;
	while (!stop && (line = next_line(p, end)))
		if (!strcmp(line, "NB1 END"))
			stop = line;
	f->data = malloc(size + 4 + (stop ? (size_t)(stop - body) : 0));
	long n = f->data && stop ? b64_decode(body, (size_t)(stop - body), (unsigned char *)f->data)
				 : -1;
	struct sha256 s;
	sha256_init(&s);
	if (n >= 0)
		sha256_update(&s, f->data, (size_t)n);
	sha256_hex(&s, got);
	if (n < 0 || (unsigned long long)n != size || strcmp(got, sum)) {
		snprintf(c->error, sizeof(c->error),
			 "%s arrived corrupt or cut (%ld of %llu bytes)", f->name, n, size);
		free(f->data);
		return;
	}
	f->data[n] = 0;
	f->len = (size_t)n;
	c->nfiles++;
}

static void chan_parse(const char *path, struct chan *c)
{
	size_t len = 0;
	char *buf = nb_read_all(path, G_CHAN_MAX, &len), *p = buf, *line;
	memset(c, 0, sizeof(*c));
	c->exit_code = -1;
	while (buf && (line = next_line(&p, buf + len))) {
		if (!strcmp(line, "NB1 BOOT"))
			c->boot = true;
		else if (!strcmp(line, "NB1 DONE"))
			c->done = true;
		else if (!strncmp(line, "NB1 EXIT ", 9))
			c->exit_code = atoi(line + 9);
		else if (!strncmp(line, "NB1 FILE ", 9))
			chan_file(c, line, &p, buf + len);
	}
	free(buf);
}

static void chan_free(struct chan *c)
{
	for (int i = 0; i < c->nfiles; i++)
		free(c->files[i].data);
	c->nfiles = 0;
}

static const struct gfile *chan_get(const struct chan *c, const char *name)
{
	for (int i = 0; i < c->nfiles; i++)
		if (!strcmp(c->files[i].name, name))
			return &c->files[i];
	return NULL;
}

/* ------------------------------------------------------------------------------------ */
/* Accelerator: TCG unless a short boot proves KVM works (it can hang on some hosts)    */

/* The emulator's path, looked up in PATH like execvp does; "" when not found. */
static void which(const char *bin, char *out, size_t len)
{
	const char *env = getenv("PATH"), *p = env && *env ? env : "/usr/bin:/bin";
	if (strchr(bin, '/')) {
		snprintf(out, len, "%s", bin);
		return;
	}
	while (*p) {
		size_t n = strcspn(p, ":");
		snprintf(out, len, "%.*s/%s", (int)n, p, bin);
		if (!access(out, X_OK))
			return;
		p += n + (p[n] == ':');
	}
	out[0] = 0;
}

/* What the probe result depends on: the emulator binary, the host kernel, the guest kernel. */
static void probe_key(const struct gkernel *k, char *key, size_t len)
{
	char path[PATH_MAX];
	struct stat st = {0};
	struct utsname u;
	uname(&u);
	which(qemu_bin(), path, sizeof(path));
	stat(path, &st);
	path_fmt(key, len, "qemu=%s:%lld:%lld host=%s guest=%s", path, (long long)st.st_size,
		 (long long)st.st_mtime, u.release, k->package[0] ? k->package : k->path);
}

/* Boot to /init with mode=probe under KVM: it must report BOOT and power off in time. */
static bool kvm_probe(const struct gkernel *k, const char *base, const char *work)
{
	char dir[PATH_MAX], p[PATH_MAX + 16];
	struct gtopo t = {.nnodes = 1, .ncpus = 1, .total_mem = 256ull << 20};
	t.nodes[0] = (struct gnode){.ncpus = 1, .mem = 256ull << 20};
	struct argvec a = {.n = 0};
	struct qresult r;
	struct chan c = {0};
	if (path_fmt(dir, sizeof(dir), "%s/kvm-probe", work) || mkdir(dir, 0700))
		return false;
	snprintf(p, sizeof(p), "%s/initrd", dir);
	if (initramfs_run(base, p, "probe", NULL, 0, NULL))
		return false;
	snprintf(p, sizeof(p), "%s/vmlinuz", dir);
	if (symlink(k->path, p))
		return false;
	qemu_args(&a, &t, "kvm", dir, "");
	nb_info("guest: probing KVM (at most %d s)", G_PROBE_TIMEOUT);
	bool ok = qemu_run(a.v, dir, G_PROBE_TIMEOUT, &r) == 0 && r.status == 0;
	av_free(&a);
	snprintf(p, sizeof(p), "%s/chan", dir);
	chan_parse(p, &c);
	chan_free(&c);
	return ok && c.boot && !r.signal;
}

/* The cached verdict for key: 1 kvm, 0 tcg, -1 none. One "KEY\tkvm|tcg" line per key. */
static int probe_cached(const char *file, const char *key)
{
	size_t n, kl = strlen(key);
	char *buf = nb_read_all(file, 1u << 20, &n), *line = buf;
	int v = -1;
	while (line && *line && v < 0) {
		if (!strncmp(line, key, kl) && line[kl] == '\t')
			v = !strncmp(line + kl + 1, "kvm\n", 4);
		line = strchr(line, '\n');
		line = line ? line + 1 : NULL;
	}
	free(buf);
	return v;
}

static void probe_store(const char *file, const char *key, bool kvm)
{
	int fd = open(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd >= 0) {
		dprintf(fd, "%s\t%s\n", key, kvm ? "kvm" : "tcg");
		close(fd);
	}
}

/* NUMABENCH_ACCEL=tcg|kvm|auto (default auto). The probe's verdict is cached. */
static int accel_pick(const char *cache, const struct gkernel *k, const char *base,
		      const char *work, const char **accel)
{
	const char *env = getenv("NUMABENCH_ACCEL");
	char key[PATH_MAX + 512], file[PATH_MAX + 16];
	*accel = "tcg";
	if (env && *env && strcmp(env, "auto")) {
		if (strcmp(env, "tcg") && strcmp(env, "kvm")) {
			nb_err("guest: NUMABENCH_ACCEL=%s is not valid (valid: tcg, kvm, auto)",
			       env);
			return -1;
		}
		*accel = !strcmp(env, "kvm") ? "kvm" : "tcg";
		return 0;
	}
	if (access("/dev/kvm", R_OK | W_OK))
		return 0;
	probe_key(k, key, sizeof(key));
	snprintf(file, sizeof(file), "%s/kvm-probe", cache);
	int v = probe_cached(file, key);
	if (v < 0) {
		v = kvm_probe(k, base, work);
		probe_store(file, key, v);
		if (!v)
			fprintf(stderr,
				"numabench: guest: KVM did not boot a guest within %d s here: "
				"using TCG (verdict cached in %s)\n",
				G_PROBE_TIMEOUT, file);
	}
	*accel = v ? "kvm" : "tcg";
	return 0;
}

/* ------------------------------------------------------------------------------------ */
/* The command                                                                           */

struct gopts {
	const char *kernel, *topology, *out, *script;
	char append[1024];
	unsigned timeout;
	bool keep;
	int gargc;
	char **gargv;
};

static const char guest_usage[] =
    "usage: numabench guest [--kernel 6.1|6.12|PATH] [--topology NAME|FILE] [--append ARGS]\n"
    "                       [--timeout SEC] [--keep] [-o FILE] -- ARGS...\n"
    "\n"
    "Boot a QEMU NUMA guest and run `numabench ARGS` inside it (default ARGS: run quick).\n"
    "  --kernel     6.1 or 6.12 (Debian bookworm packages, fetched once with apt-get download\n"
    "               into the cache, never installed), or the path of a bzImage (default 6.1)\n"
    "  --topology   NAME of configs/guests/NAME.json, or a FILE (default 2node)\n"
    "  --append     extra kernel command line, e.g. numa_balancing=disable (repeatable)\n"
    "  --timeout    seconds before a hung guest is killed (default 600)\n"
    "  --keep       keep the work folder (initrd, channel, QEMU log) and print its path\n"
    "  --script F   run the shell script F inside the guest (sh F ARGS, in numabench's folder)\n"
    "               instead of numabench; the JSON files it writes come back as results\n"
    "  -o FILE      the JSON the guest run wrote (default results/guest-TOPO-KERNEL-STAMP.json);\n"
    "               the guest console goes to FILE.console.log\n"
    "Exit status: the guest run's; 2 bad arguments; 6 the guest did not boot, hung or\n"
    "returned no results. Environment: NUMABENCH_CACHE, NUMABENCH_ACCEL=tcg|kvm|auto,\n"
    "NUMABENCH_QEMU, NUMABENCH_DATA, NUMABENCH_GUEST_BINARY.\n";

static int opt_timeout(const char *s, unsigned *out)
{
	uint64_t v;
	if (nb_parse_u64(s, &v) || v < 1 || v > 86400) {
		nb_err("guest: --timeout %s is not valid (valid: 1..86400 seconds)", s);
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

static int opt_append(const char *s, char *buf, size_t len)
{
	size_t used = strlen(buf);
	if (strpbrk(s, "\n\r") || used + strlen(s) + 2 > len) {
		nb_err("guest: --append \"%.60s\" is not valid (valid: one line, %zu characters in "
		       "all)",
		       s, len - 2);
		return -1;
	}
	snprintf(buf + used, len - used, "%s%s", used ? " " : "", s);
	return 0;
}

/* The guest's arguments travel one per line in /nb/args: no newlines. */
static int check_gargs(int argc, char **argv)
{
	size_t total = 0;
	for (int i = 0; i < argc; i++) {
		total += strlen(argv[i]) + 1;
		if (strchr(argv[i], '\n')) {
			nb_err("guest: guest argument %d contains a newline (not valid)", i + 1);
			return -1;
		}
	}
	if (argc > G_MAX_ARGS || total > 65536) {
		nb_err("guest: too many guest arguments (valid: at most %d, 64K in all)",
		       G_MAX_ARGS);
		return -1;
	}
	return 0;
}

static int opt_bad(int c, char **argv)
{
	nb_err("guest: %s %s (valid: --kernel, --topology, --append, --timeout, --keep, -o, "
	       "then -- ARGS)",
	       c == ':' ? "missing value for" : "unknown option", argv[optind - 1]);
	return NB_EXIT_USAGE;
}

/* Returns -1 to go on, or an exit code. */
static int parse_opts(int argc, char **argv, struct gopts *o)
{
	static const struct option lo[] = {
	    {"kernel", required_argument, NULL, 'k'}, {"topology", required_argument, NULL, 't'},
	    {"append", required_argument, NULL, 'a'}, {"timeout", required_argument, NULL, 'T'},
	    {"keep", no_argument, NULL, 'K'},	      {"script", required_argument, NULL, 'S'},
	    {"output", required_argument, NULL, 'o'}, {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},	      {NULL, 0, NULL, 0}};
	int c;
	*o = (struct gopts){.kernel = "6.1", .topology = "2node", .timeout = G_DEFAULT_TIMEOUT};
	optind = 0; /* GNU: full reinitialization, main may have used getopt */
	opterr = 0;
	/* '+': the guest's arguments start at the first non-option (or after --). */
	while ((c = getopt_long(argc, argv, "+:o:vh", lo, NULL)) != -1) {
		switch (c) {
		case 'k':
			o->kernel = optarg;
			break;
		case 't':
			o->topology = optarg;
			break;
		case 'o':
			o->out = optarg;
			break;
		case 'a':
			if (opt_append(optarg, o->append, sizeof(o->append)))
				return NB_EXIT_USAGE;
			break;
		case 'T':
			if (opt_timeout(optarg, &o->timeout))
				return NB_EXIT_USAGE;
			break;
		case 'K':
			o->keep = true;
			break;
		case 'S':
			o->script = optarg;
			break;
		case 'v':
			nb_verbose++;
			break;
		case 'h':
			fputs(guest_usage, stdout);
			return NB_EXIT_OK;
		default:
			return opt_bad(c, argv);
		}
	}
	o->gargc = argc - optind;
	o->gargv = argv + optind;
	return check_gargs(o->gargc, o->gargv) ? NB_EXIT_USAGE : -1;
}

struct grun {
	struct gopts o;
	struct gtopo t;
	struct gkernel k;
	char cache[PATH_MAX], base[PATH_MAX], work[PATH_MAX], out[PATH_MAX], log[PATH_MAX + 16];
	const char *accel;
	struct qresult q;
	struct chan c;
};

static int out_path(struct grun *g)
{
	char stamp[32], dir[PATH_MAX];
	utc_stamp(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ");
	if (g->o.out ? path_fmt(g->out, sizeof(g->out), "%s", g->o.out)
		     : path_fmt(g->out, sizeof(g->out), "results/guest-%s-%s-%s.json", g->t.name,
				g->k.label, stamp))
		return NB_EXIT_USAGE;
	snprintf(g->log, sizeof(g->log), "%s.console.log", g->out);
	char *slash = strrchr(g->out, '/');
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - g->out) : 1, slash ? g->out : ".");
	if (dir[0] && mkdir_p(dir, 0755)) {
		nb_err("guest: cannot create the folder %s for -o %s: %s", dir, g->out,
		       strerror(errno));
		return NB_EXIT_ENV;
	}
	return -1;
}

/* mkdtemp in TMPDIR; a TMPDIR with ',' or ':' would need QEMU escaping: use /tmp then. */
static int work_dir(char *out, size_t len)
{
	const char *tmp = getenv("TMPDIR");
	if (!tmp || !*tmp || strpbrk(tmp, ",:"))
		tmp = "/tmp";
	if (path_fmt(out, len, "%s/numabench-guest-XXXXXX", tmp) || !mkdtemp(out)) {
		nb_err("guest: cannot create a work folder in %s: %s", tmp, strerror(errno));
		return -1;
	}
	return 0;
}

/* Everything before the boot; the cache is locked while it is written. */
static int prepare(struct grun *g)
{
	if (topo_load(g->o.topology, &g->t))
		return NB_EXIT_USAGE;
	char qemu[PATH_MAX];
	which(qemu_bin(), qemu, sizeof(qemu));
	if (!qemu[0] || access(qemu, X_OK)) {
		nb_err(
		    "guest: %s not found: install it with: apt-get install qemu-system-x86 (or set "
		    "NUMABENCH_QEMU)",
		    qemu_bin());
		return NB_EXIT_ENV;
	}
	if (cache_dir(g->cache, sizeof(g->cache)))
		return NB_EXIT_ENV;
	int lock = cache_lock(g->cache), rc = -1;
	bool series = !strcmp(g->o.kernel, "6.1") || !strcmp(g->o.kernel, "6.12");
	if (kernel_resolve(g->o.kernel, g->cache, &g->k))
		rc = series ? NB_EXIT_GUEST : NB_EXIT_USAGE;
	if (rc < 0)
		rc = out_path(g);
	if (rc < 0 && (initramfs_base(g->cache, g->base, sizeof(g->base)) ||
		       work_dir(g->work, sizeof(g->work))))
		rc = NB_EXIT_ENV;
	if (rc < 0 && accel_pick(g->cache, &g->k, g->base, g->work, &g->accel))
		rc = NB_EXIT_USAGE;
	if (lock >= 0)
		close(lock);
	return rc;
}

static void status_line(const struct grun *g)
{
	fprintf(stderr,
		"numabench: guest: %s (%d nodes, %d vCPUs, %llu MiB%s) on %s%s%s, %s:", g->t.name,
		g->t.nnodes, g->t.ncpus, (unsigned long long)(g->t.total_mem >> 20),
		g->t.hmat ? ", HMAT" : "", g->k.package[0] ? g->k.package : g->k.path,
		g->k.version[0] ? " " : "", g->k.version, g->accel);
	fprintf(stderr, " numabench");
	for (int i = 0; i < g->o.gargc; i++)
		fprintf(stderr, " %s", g->o.gargv[i]);
	fprintf(stderr, "%s\n", g->o.gargc ? "" : " (run quick)");
}

static int boot(struct grun *g)
{
	char p[PATH_MAX + 16];
	struct argvec a = {.n = 0};
	snprintf(p, sizeof(p), "%s/initrd", g->work);
	if (initramfs_run(g->base, p, "run", g->o.script, g->o.gargc, g->o.gargv))
		return NB_EXIT_ENV;
	snprintf(p, sizeof(p), "%s/vmlinuz", g->work);
	if (symlink(g->k.path, p)) {
		nb_err("guest: cannot link the kernel into %s: %s", g->work, strerror(errno));
		return NB_EXIT_ENV;
	}
	qemu_args(&a, &g->t, g->accel, g->work, g->o.append);
	for (int i = 0; nb_verbose && i < a.n; i++)
		fprintf(stderr, "%s%s", a.v[i], i + 1 < a.n ? " " : "\n");
	status_line(g);
	int rc = qemu_run(a.v, g->work, g->o.timeout, &g->q);
	av_free(&a);
	snprintf(p, sizeof(p), "%s/console", g->work);
	if (copy_file(p, g->log, O_TRUNC))
		nb_warn("guest: cannot write the console log %s: %s", g->log, strerror(errno));
	snprintf(p, sizeof(p), "%s/chan", g->work);
	chan_parse(p, &g->c);
	return rc ? NB_EXIT_GUEST : -1;
}

/* The first line of file that contains needle, or "". */
static void grep_line(const char *file, const char *needle, char *out, size_t len)
{
	size_t n;
	char *buf = nb_read_all(file, 64u << 20, &n), *hit = buf ? strstr(buf, needle) : NULL;
	out[0] = 0;
	if (hit)
		first_line(hit, out, len);
	free(buf);
}

static void qemu_failed(const char *qlog, int status)
{
	size_t n;
	char *buf = nb_read_all(qlog, 1u << 20, &n), line[256] = "";
	if (buf)
		first_line(buf, line, sizeof(line));
	free(buf);
	nb_err("guest: QEMU failed (exit %d): %s", status, line[0] ? line : "no message");
}

/* One clear line on why no exit code came back. */
static int diagnose(const struct grun *g)
{
	char line[256], qlog[PATH_MAX + 16];
	const char *where = g->c.boot ? "while numabench ran" : "before reaching /init";
	snprintf(qlog, sizeof(qlog), "%s/qemu.log", g->work);
	grep_line(g->log, "Kernel panic", line, sizeof(line));
	if (g->q.timed_out)
		nb_err("guest: timed out after %u s %s (--timeout); QEMU killed; console log: %s",
		       g->o.timeout, where, g->log);
	else if (line[0])
		nb_err("guest: the guest kernel panicked (%s); console log: %s", line, g->log);
	else if (g->c.error[0])
		nb_err("guest: the results channel is damaged: %s; console log: %s", g->c.error,
		       g->log);
	else if (!g->c.boot && g->q.status != 0)
		qemu_failed(qlog, g->q.status);
	else
		nb_err(
		    "guest: the guest stopped %s without reporting an exit code; console log: %s",
		    where, g->log);
	return NB_EXIT_GUEST;
}

static void relay(const struct gfile *f, FILE *to, const char *prefix)
{
	const char *p = f ? f->data : NULL;
	while (p && *p) {
		size_t n = strcspn(p, "\n");
		fprintf(to, "%s%.*s\n", prefix, (int)n, p);
		p += n + (p[n] == '\n');
	}
}

/* The JSON the run wrote to a file (the last one), else its stdout if that is JSON. */
static json_t *pick_result(const struct chan *c, bool *from_stdout)
{
	*from_stdout = false;
	for (int i = c->nfiles - 1; i >= 0; i--) {
		json_t *doc = strncmp(c->files[i].name, "file:", 5)
				  ? NULL
				  : json_loadb(c->files[i].data, c->files[i].len, 0, NULL);
		if (doc)
			return doc;
	}
	const struct gfile *out = chan_get(c, "stdout");
	json_t *doc = out ? json_loadb(out->data, out->len, 0, NULL) : NULL;
	*from_stdout = doc != NULL;
	return doc;
}

static json_t *guest_meta(const struct grun *g)
{
	char qver[512] = "", line[256];
	char *argv[] = {(char *)qemu_bin(), "--version", NULL};
	json_t *m = json_object(), *cmd = json_array();
	if (run_capture(argv, NULL, qver, sizeof(qver)) == 0)
		first_line(qver, line, sizeof(line));
	for (int i = 0; i < g->o.gargc; i++)
		json_array_append_new(cmd, json_string(g->o.gargv[i]));
	json_object_set_new(m, "topology", json_string(g->t.name));
	json_object_set_new(m, "topology_file", json_string(g->t.path));
	json_object_set_new(m, "kernel", json_string(g->k.label));
	json_object_set_new(m, "kernel_package", json_string(g->k.package));
	json_object_set_new(m, "kernel_version", json_string(g->k.version));
	json_object_set_new(m, "accel", json_string(g->accel));
	json_object_set_new(m, "append", json_string(g->o.append));
	json_object_set_new(m, "command", cmd);
	json_object_set_new(m, "exit_code", json_integer(g->c.exit_code));
	json_object_set_new(m, "seconds", json_real(g->q.secs));
	json_object_set_new(m, "qemu", json_string(qver[0] ? line : ""));
	json_object_set_new(m, "console_log", json_string(g->log));
	return m;
}

static int finish(struct grun *g)
{
	bool from_stdout;
	char err[512];
	if (g->q.signal) {
		nb_err("guest: interrupted by signal %d: guest killed; console log: %s",
		       g->q.signal, g->log);
		return NB_EXIT_INTERRUPTED;
	}
	if (g->c.exit_code < 0 || g->c.error[0])
		return diagnose(g);
	if (g->q.timed_out)
		nb_warn("guest: the guest reported its results but did not power off: killed");
	relay(chan_get(&g->c, "stderr"), stderr, "[guest] ");
	json_t *doc = pick_result(&g->c, &from_stdout);
	if (!from_stdout)
		relay(chan_get(&g->c, "stdout"), stdout, "");
	if (!doc) {
		/* A failed guest run keeps its own exit code; a clean one without results is
		 * the guest runner's failure. */
		nb_err("guest: numabench exited with %d in the guest and wrote no JSON results; "
		       "console log: %s",
		       g->c.exit_code, g->log);
		return g->c.exit_code ? g->c.exit_code : NB_EXIT_GUEST;
	}
	if (json_is_object(doc))
		json_object_set_new(doc, "guest", guest_meta(g));
	int rc = nb_result_write(g->out, doc, err, sizeof(err));
	json_decref(doc);
	if (rc) {
		nb_err("guest: %s", err);
		return NB_EXIT_ENV;
	}
	fprintf(stderr, "numabench: guest: exit code %d in %.0f s; results: %s (console log: %s)\n",
		g->c.exit_code, g->q.secs, g->out, g->log);
	return g->c.exit_code;
}

int nb_cmd_guest(int argc, char **argv)
{
	struct grun *g = calloc(1, sizeof(*g));
	if (!g) {
		nb_err("guest: out of memory");
		return NB_EXIT_ENV;
	}
	int rc = parse_opts(argc, argv, &g->o);
	if (rc < 0)
		rc = prepare(g);
	if (rc < 0)
		rc = boot(g);
	if (rc < 0)
		rc = finish(g);
	chan_free(&g->c);
	if (g->work[0] && g->o.keep)
		fprintf(stderr, "numabench: guest: work folder kept: %s\n", g->work);
	else if (g->work[0])
		rm_rf(g->work);
	free(g);
	return rc;
}
