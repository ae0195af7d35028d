/* numabench guest runner: the accelerator, TCG unless a short boot proves KVM works here (it
 * can hang on some hosts); the verdict is cached per emulator, host kernel and guest kernel. */
#include "guest_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sys/utsname.h>

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
int accel_pick(const char *cache, const struct gkernel *k, const char *base, const char *work,
	       const char **accel)
{
	const char *env = getenv("NUMABENCH_ACCEL");
	char key[PATH_MAX + 512], file[PATH_MAX + 16];
	*accel = "tcg";
	if (guest_arm64()) /* an arm64 guest on this x86-64 host: TCG only */
		return 0;
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
