/* numabench guest runner: guest kernels, Debian packages fetched into the cache with
 * apt-get download + dpkg -x (never installed), or any bzImage. */
#include "guest_int.h"
#include "child.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct kseries {
	const char *label, *prefix, *suffix;
	bool arm64;
};

/* Debian bookworm: linux-image-6.1.0-ABI-amd64 and linux-image-6.12.N+deb12-amd64
 * (signed images; -rt and -cloud flavours are excluded by the exact suffix), and the same
 * series' -arm64 packages (found and fetched through the private arm64 apt state). */
static const struct kseries kseries[] = {
    {"6.1", "linux-image-6.1.0-", "-amd64", false},
    {"6.12", "linux-image-6.12.", "+deb12-amd64", false},
    {"6.1", "linux-image-6.1.0-", "-arm64", true},
    {"6.12", "linux-image-6.12.", "+deb12-arm64", true},
};

/* "" for the host's apt, else the private arm64 apt.conf (-c). */
static char apt_c[PATH_MAX];

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
	char *host[] = {"apt-cache", "pkgnames", (char *)s->prefix, NULL};
	char *a64[] = {"apt-cache", "-c", apt_c, "pkgnames", (char *)s->prefix, NULL};
	int n = 0;
	if (nb_run_capture(apt_c[0] ? a64 : host, NULL, out, sizeof(out)) == 0) {
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

/* Version from NAME_VERSION_ARCH.deb (%3a is an epoch's colon). */
void deb_version(const char *deb, char *out, size_t len)
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
	char *host[] = {"apt-get", "download", "-q", (char *)pkg, NULL};
	char *a64[] = {"apt-get", "-c", apt_c, "download", "-q", (char *)pkg, NULL};
	int rc = nb_run_capture(apt_c[0] ? a64 : host, tmp, out, sizeof(out));
	if (rc == 0 && find_entry(tmp, pkg, ".deb", deb, sizeof(deb)) == 0) {
		char *x[] = {"dpkg", "-x", deb, "root", NULL};
		rc = nb_run_capture(x, tmp, out, sizeof(out));
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

int kernel_series_list(const char *label, const char *cache, char (*names)[128], int max)
{
	char kdir[PATH_MAX];
	struct kcand c[64];
	if (path_fmt(kdir, sizeof(kdir), "%s/kernels", cache) || mkdir_p(kdir, 0755))
		return -1;
	for (size_t i = 0; i < sizeof(kseries) / sizeof(kseries[0]); i++) {
		if (strcmp(label, kseries[i].label))
			continue;
		int n = kernel_candidates(&kseries[i], kdir, c, 64);
		for (int j = 0; j < n && j < max; j++)
			snprintf(names[j], 128, "%s", c[n - 1 - j].name); /* oldest first */
		return n < max ? n : max;
	}
	return -1;
}

/* One named package of a series (linux-image-6.1.0-47-amd64), cached or fetched. */
static int kernel_named(const char *pkg, const char *cache, struct gkernel *k)
{
	char kdir[PATH_MAX], vml[PATH_MAX + 200];
	if (path_fmt(kdir, sizeof(kdir), "%s/kernels", cache) || mkdir_p(kdir, 0755))
		return -1;
	path_fmt(vml, sizeof(vml), "%s/%s/vmlinuz", kdir, pkg);
	if (!is_file(vml) && kernel_fetch(kdir, pkg))
		return -1;
	snprintf(k->label, sizeof(k->label), "%.*s", (int)sizeof(k->label) - 1,
		 pkg + strlen("linux-image-"));
	kernel_fill(k, kdir, pkg);
	return 0;
}

int kernel_resolve(const char *spec, const char *cache, struct gkernel *k)
{
	memset(k, 0, sizeof(*k));
	bool arm64 = guest_arm64();
	apt_c[0] = 0;
	for (size_t i = 0; i < sizeof(kseries) / sizeof(kseries[0]); i++) {
		if (strcmp(spec, kseries[i].label) || kseries[i].arm64 != arm64)
			continue;
		if (arm64 && apt64_conf(cache, apt_c, sizeof(apt_c)))
			return -1;
		return kernel_debian(&kseries[i], cache, k);
	}
	/* A package name, any flavour (-cloud-amd64, -rt-amd64): apt-get download checks it. */
	if (!arm64 && !strncmp(spec, "linux-image-", 12) && strlen(spec) < 128 &&
	    strspn(spec, "abcdefghijklmnopqrstuvwxyz0123456789.+-") == strlen(spec))
		return kernel_named(spec, cache, k);
	if (!is_file(spec) || !(arm64 ? is_arm64_image(spec) : is_bzimage(spec))) {
		const char *what = arm64 ? "an arm64 Image" : "a bzImage";
		nb_err("guest: --kernel %s is not valid: %s%s (valid: 6.1, 6.12, a linux-image-* "
		       "package (amd64), or the path of %s)",
		       spec, is_file(spec) ? "not " : "no such series or file",
		       is_file(spec) ? what : "", what);
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
