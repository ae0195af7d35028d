/* numabench guest runner: the initramfs (busybox-static, this numabench, the libraries ldd
 * names, harness/initramfs/init.sh, the suites), cached by the SHA-256 of its inputs, and the
 * small per-run archive appended to it. */
#include "guest_int.h"
#include "child.h"
#include "paths.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <time.h>

static int init_script(char *out, size_t len)
{
	const char *d = nb_data_dir();
	if (d && !path_fmt(out, len, "%s/harness/initramfs/init.sh", d) && is_file(out))
		return 0;
	if (d && !path_fmt(out, len, "%s/initramfs/init.sh", d) && is_file(out))
		return 0;
	nb_err("guest: cannot find harness/initramfs/init.sh (looked in %s; set NUMABENCH_DATA "
	       "to the numabench source folder)",
	       d ? d : "no data folder");
	return -1;
}

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
	int rc = nb_run_capture(argv, NULL, out, sizeof(out));
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

/* The suites (configs/NAME.json), where the guest numabench looks from its folder: the folder
 * `run` reads (paths.h nb_configs_dir). */
static void add_configs(struct manifest *m)
{
	char src[PATH_MAX + 256], name[300];
	const char *dir = nb_configs_dir();
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

/* This numabench, or NUMABENCH_GUEST_BINARY; for --arch arm64 the cross-built
 * build/arm64/numabench of the data folder (make ARCH=arm64). */
static int guest_binary(char *out)
{
	const char *env = getenv("NUMABENCH_GUEST_BINARY"), *d = nb_data_dir();
	char a64[PATH_MAX] = "";
	if (guest_arm64() && d)
		path_fmt(a64, sizeof(a64), "%s/build/arm64/numabench", d);
	const char *p = env && *env ? env : guest_arm64() ? a64 : "/proc/self/exe";
	if (!realpath(p, out) || !is_file(out)) {
		nb_err("guest: cannot read the numabench binary %s to put in the guest%s", p,
		       guest_arm64() ? " (build it with make ARCH=arm64, or set "
				       "NUMABENCH_GUEST_BINARY)"
				     : "");
		return -1;
	}
	if (guest_arm64() && !is_aarch64_elf(out)) {
		nb_err("guest: --arch arm64: %s is not an aarch64 program (build it with make "
		       "ARCH=arm64, or set NUMABENCH_GUEST_BINARY)",
		       out);
		return -1;
	}
	return 0;
}

static int ent_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ent *)a)->name, ((const struct ent *)b)->name);
}

static int manifest_build(struct manifest *m, const char *cache)
{
	char init[PATH_MAX], bb[PATH_MAX], bin[PATH_MAX];
	if (init_script(init, sizeof(init)) ||
	    (guest_arm64() ? busybox_arm64(cache, bb, sizeof(bb)) : find_busybox(bb)) ||
	    guest_binary(bin))
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
int manifest_hash(const struct manifest *m, char hex[65])
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
int initramfs_base(const char *cache, char *out, size_t len)
{
	struct manifest m = {0};
	char hex[65], dir[PATH_MAX], tmp[PATH_MAX + 16];
	int rc = manifest_build(&m, cache) || manifest_hash(&m, hex) ||
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
int initramfs_run(const char *base, const char *path, const char *mode, const char *script,
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
