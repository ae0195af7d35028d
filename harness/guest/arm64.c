/* numabench guest runner: what --arch arm64 needs: Debian's arm64 packages through the private
 * apt state that cross/sysroot.sh sets up (CACHE/apt-arm64/apt.conf: arm64 lists of its own, no
 * dpkg status, so nothing is ever installed), busybox-static for arm64, and the file checks of
 * an arm64 kernel Image and an aarch64 numabench. */
#include "guest_int.h"
#include "child.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static bool g_arm64, g_icount;

void guest_arch_set(bool arm64, bool icount)
{
	g_arm64 = arm64;
	g_icount = icount;
}

bool guest_arm64(void)
{
	return g_arm64;
}

bool guest_icount(void)
{
	return g_icount;
}

int apt64_conf(const char *cache, char *out, size_t len)
{
	if (path_fmt(out, len, "%s/apt-arm64/apt.conf", cache))
		return -1;
	if (is_file(out))
		return 0;
	nb_err("guest: --arch arm64: no arm64 package lists in %s/apt-arm64 (run make deps, or "
	       "cross/sysroot.sh %s SYSROOT, which set them up without installing anything)",
	       cache, cache);
	return -1;
}

/* CACHE/busybox-arm64/bin/busybox, fetched once (apt-get download busybox-static, dpkg -x). */
int busybox_arm64(const char *cache, char *out, size_t len)
{
	char conf[PATH_MAX], dir[PATH_MAX], tmp[PATH_MAX], deb[PATH_MAX + 300], msg[4096];
	if (path_fmt(dir, sizeof(dir), "%s/busybox-arm64", cache) ||
	    path_fmt(out, len, "%s/bin/busybox", dir))
		return -1;
	if (is_file(out))
		return 0;
	if (apt64_conf(cache, conf, sizeof(conf)) ||
	    path_fmt(tmp, sizeof(tmp), "%s/.fetch-busybox-XXXXXX", cache) || !mkdtemp(tmp))
		return -1;
	fprintf(stderr,
		"numabench: guest: fetching busybox-static for arm64 (once; cached in %s)\n", dir);
	char *dl[] = {"apt-get", "-c", conf, "download", "-q", "busybox-static", NULL};
	int rc = nb_run_capture(dl, tmp, msg, sizeof(msg));
	char *ls[] = {"sh", "-c", "ls busybox-static_*_arm64.deb", NULL};
	if (rc == 0)
		rc = nb_run_capture(ls, tmp, msg, sizeof(msg));
	if (rc == 0) {
		msg[strcspn(msg, "\n")] = 0;
		snprintf(deb, sizeof(deb), "%s/%s", tmp, msg);
		char *x[] = {"dpkg", "-x", deb, dir, NULL};
		rc = nb_run_capture(x, NULL, msg, sizeof(msg));
	}
	rm_rf(tmp);
	if (rc || !is_file(out)) {
		char line[256];
		first_line(msg, line, sizeof(line));
		nb_err("guest: cannot fetch busybox-static for arm64: %s", line);
		return -1;
	}
	return 0;
}

/* An arm64 Linux Image carries "ARM\x64" at offset 0x38 (arm64 boot protocol); Debian's
 * vmlinuz is one (uncompressed, with an EFI stub). */
bool is_arm64_image(const char *path)
{
	char magic[4] = {0};
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool ok = fd >= 0 && pread(fd, magic, 4, 0x38) == 4 && !memcmp(magic, "ARM\x64", 4);
	if (fd >= 0)
		close(fd);
	return ok;
}

/* An ELF file for EM_AARCH64 (183). */
bool is_aarch64_elf(const char *path)
{
	unsigned char h[20] = {0};
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	bool ok = fd >= 0 && pread(fd, h, sizeof(h), 0) == (ssize_t)sizeof(h) &&
		  !memcmp(h,
			  "\x7f"
			  "ELF",
			  4) &&
		  h[18] == 183 && h[19] == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}
