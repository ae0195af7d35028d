/*
 * numabench guest runner, its parts (harness/guest/) and what they share. The public entry
 * is guest.h; the command line is cli/cmd_guest.c.
 *
 * Flow (run.c): load the topology (topology.c, configs/guests/NAME.json); find the kernel
 * (kernel.c: Debian package fetched with apt-get download + dpkg -x into the cache, or a
 * bzImage); build the initramfs (initramfs.c, cpio.c: busybox-static, this numabench, the
 * libraries ldd names, harness/initramfs/init.sh, configs/ suites), cached by the SHA-256
 * (sha256.c) of its inputs; append a tiny per-run archive holding the guest arguments; pick
 * TCG or a KVM that a probe proved (accel.c); run QEMU with a timeout (qemu.c); read the
 * framed results from the second serial port (chan.c); write the JSON and the console log.
 * No shell ever sees a string from the command line or a config: every helper runs through
 * fork/execvp with an argv array (child.h).
 */
#ifndef NB_GUEST_INT_H
#define NB_GUEST_INT_H

#include "guest.h"
#include "nb.h"

#include <limits.h>
#include <stdio.h>
#include <sys/types.h>

#define G_MAX_NODES 16
#define G_MAX_CPUS 64
#define G_MAX_FILES 32
#define G_PROBE_TIMEOUT 10
#define G_MIN_NODE_MEM (128ull << 20)
#define G_MAX_TOTAL_MEM (16ull << 30)
#define G_CHAN_MAX (256u << 20)
#define G_INITRAMFS_KEEP 6

/* ---- files.c: files, folders and the cache ---- */

/* snprintf that reports truncation (nb_err), for paths. 0 or -1. */
int path_fmt(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
bool nb_guest_is_dir(const char *p);
bool is_file(const char *p);
int mkdir_p(const char *path, mode_t mode);
void rm_rf(const char *path);
int copy_fd(int in, int out);
int copy_file(const char *from, const char *to, int oflags);
/* The first line of s, leading blanks skipped. */
void first_line(const char *s, char *out, size_t len);
void utc_stamp(char *buf, size_t len, const char *fmt);
int write_text(const char *path, const char *text);
/* NUMABENCH_CACHE, else .cache/numabench in a source tree, else the XDG cache; created. */
int cache_dir(char *out, size_t len);
/* An fd holding the cache's lock (flock on CACHE/.lock), or -1; close it to unlock. */
int cache_lock(const char *cache);

/* ---- sha256.c: SHA-256 (FIPS 180-4) ---- */

struct sha256 {
	uint32_t h[8];
	uint8_t buf[64];
	uint64_t bytes;
	size_t n;
};
void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
/* Final digest as 64 lowercase hex characters + NUL. */
void sha256_hex(struct sha256 *s, char out[65]);
int sha256_file(struct sha256 *s, const char *path);

/* ---- topology.c: configs/guests/NAME.json ---- */

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
/* NAME (configs/guests/NAME.json of the data folder) or a FILE (with a '/' or ending in
 * .json), read and validated into t. 0, or -1 after one nb_err line naming the rule. */
int nb_guest_topo_load(const char *arg, struct gtopo *t);

/* ---- kernel.c: the guest kernel ---- */

struct gkernel {
	char label[64], path[PATH_MAX], package[128], version[128];
};
/* spec 6.1 or 6.12 (Debian series, newest cached or fetchable; -arm64 flavour for --arch arm64)
 * or a bzImage (arm64: Image) path. */
int kernel_resolve(const char *spec, const char *cache, struct gkernel *k);
/* The packages of series label (6.1, 6.12) apt or the cache knows, oldest first; the count
 * or -1. A package name of a series is also a valid kernel_resolve spec. */
int kernel_series_list(const char *label, const char *cache, char (*names)[128], int max);
/* Version from NAME_VERSION_ARCH.deb (%3a is an epoch's colon). */
void deb_version(const char *deb, char *out, size_t len);

/* ---- initramfs.c, cpio.c: the initramfs ---- */

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

/* newc writer state: f open for writing at the end of the archive so far. */
struct cpio {
	FILE *f;
	uint32_t ino;
	char dirs[64][256];
	int ndirs;
};
/* One entry, after the directories above it that were not written yet. 0 or -1. */
int cpio_ent(struct cpio *c, const struct ent *e);
/* The TRAILER!!! entry, padding to 512 bytes, fclose. 0 or -1. */
int cpio_finish(struct cpio *c);
/* A whole archive of m's entries at path. 0 or -1. */
int cpio_write(const char *path, const struct manifest *m);

/* The cache key: format version, and every entry's name, kind, mode and contents. */
int manifest_hash(const struct manifest *m, char hex[65]);
/* The cached base archive for this binary, built when its inputs changed. */
int initramfs_base(const char *cache, char *out, size_t len);
/* The run's initrd at path: base, then an archive of nb/args, nb/mode (and nb/script). */
int initramfs_run(const char *base, const char *path, const char *mode, const char *script,
		  int argc, char **argv);

/* ---- qemu.c: QEMU ---- */

struct argvec {
	char *v[512];
	int n;
};
void av_add(struct argvec *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void av_free(struct argvec *a);
/* NUMABENCH_QEMU, else qemu-system-x86_64 (qemu-system-aarch64 for --arch arm64). */
const char *qemu_bin(void);
/* The program's path, looked up in PATH like execvp does; "" when not found. */
void which(const char *bin, char *out, size_t len);
void qemu_args(struct argvec *a, const struct gtopo *t, const char *accel, const char *work,
	       const char *append);

struct qresult {
	int status; /* exit status, 128+signal; -1 when killed by us */
	bool timed_out;
	int signal; /* the signal that interrupted us */
	double secs;
};
/* Run QEMU to completion or timeout; SIGINT/SIGTERM/SIGHUP kill the guest, not us. */
int qemu_run(char **argv, const char *work, unsigned timeout, struct qresult *r);

/* ---- chan.c: the results channel ---- */

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
/* Base64 into out, skipping line ends; the length, or -1 on a bad character. */
long b64_decode(const char *in, size_t len, unsigned char *out);
/* The channel file at path, parsed into c (cleared first). */
void chan_parse(const char *path, struct chan *c);
void chan_free(struct chan *c);
const struct gfile *chan_get(const struct chan *c, const char *name);

/* ---- arm64.c: --arch arm64 ---- */

/* The run's architecture (set once by nb_guest_run, read by the parts below). */
void guest_arch_set(bool arm64, bool icount);
bool guest_arm64(void);
bool guest_icount(void);
/* CACHE/apt-arm64/apt.conf (cross/sysroot.sh's private arm64 apt state), or -1 after nb_err. */
int apt64_conf(const char *cache, char *out, size_t len);
/* busybox-static for arm64 in the cache, fetched once. 0 or -1. */
int busybox_arm64(const char *cache, char *out, size_t len);
bool is_arm64_image(const char *path);
bool is_aarch64_elf(const char *path);

/* ---- accel.c ---- */

/* NUMABENCH_ACCEL=tcg|kvm|auto (default auto); the probe's verdict is cached. 0 or -1. */
int accel_pick(const char *cache, const struct gkernel *k, const char *base, const char *work,
	       const char **accel);

#endif
