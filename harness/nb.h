/* numabench: shared definitions every part of the program uses. */
#ifndef NB_H
#define NB_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <jansson.h>

/* The results schema this numabench writes; readers also take the older majors down to
 * NB_SCHEMA_OLDEST_MAJOR (/1: the shapes /2 retired, see README "Results JSON"). */
#define NB_SCHEMA "numabench.result/2"
#define NB_SCHEMA_MAJOR 2
#define NB_SCHEMA_OLDEST_MAJOR 1
#ifndef NB_VERSION
#define NB_VERSION "0.1.0"
#endif

/*
 * Exit codes, defined once. Documented in README.md and `numabench --help`.
 * A run's exit code follows from the worst outcome of its benches:
 * failed > untrustworthy > ok/skipped.
 */
enum nb_exit {
	NB_EXIT_OK = 0,		   /* every bench ok or skipped */
	NB_EXIT_FAILED = 1,	   /* at least one bench failed */
	NB_EXIT_USAGE = 2,	   /* bad command line, parameter, config or input file */
	NB_EXIT_UNTRUSTWORTHY = 3, /* no failure, but at least one result is untrustworthy */
	NB_EXIT_ENV = 4,	   /* environment: cannot write results, no memory, I/O error */
	NB_EXIT_REGRESSION = 5,	   /* compare --threshold found a significant regression */
	NB_EXIT_GUEST = 6,	   /* guest did not boot, hung or returned no results */
	NB_EXIT_INTERRUPTED = 130, /* SIGINT/SIGTERM/SIGHUP: state restored, partial results kept */
};

/* Outcome taxonomy of one bench run. */
enum nb_status { NB_OK = 0, NB_SKIPPED, NB_UNTRUSTWORTHY, NB_FAILED };
const char *nb_status_name(enum nb_status s);

/* Messages: everything human goes to stderr; JSON goes to its own file. */
void nb_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void nb_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void nb_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern int nb_verbose;
/* Set when SIGINT/SIGTERM/SIGHUP arrived; long loops check it and return. */
extern volatile int nb_interrupted;
/* Set by the runner when timings are not hardware measurements (QEMU TCG): timing metrics
 * then carry `emulated: true` and their spread decides no status. */
extern bool nb_timing_emulated;
/* When the process started (nb_now_ns; main sets it, 0 elsewhere): a run's time budget counts
 * from here, so that start-up (topology, calibration) is inside it. */
extern uint64_t nb_process_start_ns;

/* Parsing helpers: strict, whole-string, no silent wrap. Return 0 or -1. */
int nb_parse_u64(const char *s, uint64_t *out);
int nb_parse_size(const char *s, uint64_t *out); /* K/M/G/T suffixes, powers of 1024 */
int nb_parse_double(const char *s, double *out);
/* A duration: a number of seconds with an optional unit s, m or h ("90", "60s", "5m", "1.5h"),
 * > 0 and at most a week. 0, or -1. */
int nb_parse_duration(const char *s, double *seconds);
/* A count or id as JSON, where a negative value (-1: not read, none) becomes null. */
json_t *nb_json_count(int64_t v);
/* Format a size like 4K, 1M, 1G (exact) or the number of bytes. */
void nb_fmt_size(uint64_t v, char *buf, size_t len);

/* Time. CLOCK_MONOTONIC_RAW: not slewed by NTP. */
uint64_t nb_now_ns(void);

/* Read a small text file (sysfs/proc) into buf, stripped of trailing newline. */
int nb_read_file(const char *path, char *buf, size_t len);
int nb_read_long(const char *path, long *out);
/* A whole regular file into a malloc'ed NUL-terminated buffer (*len bytes), read to EOF.
 * NULL with errno: EISDIR, EINVAL (not a regular file: a FIFO or /dev/zero would block or
 * never end), EFBIG (more than max bytes, also when it grew while being read), or the
 * open/read error. */
char *nb_read_all(const char *path, size_t max, size_t *len);
/* calloc(n ? n : 1, size) that never returns NULL: on no memory one line on stderr and abort()
 * (as libnuma's bitmask allocator does). For arrays sized by the machine (cpu lists), which
 * have no fixed ceiling. */
void *nb_xcalloc(size_t n, size_t size);
/* write(2) all n bytes, retrying short writes and EINTR. 0, or -1 with errno set. */
int nb_write_all(int fd, const void *p, size_t n);
/* Write buf to path atomically: a temp file beside it (mode 0666 & ~umask), fsync, rename,
 * fsync of the folder. A reader sees the old file or the whole new one, never part of it.
 * Refuses a symlink at path (ELOOP). 0, or -1 with errno set and no temp file left. */
int nb_write_atomic(const char *path, const char *buf, size_t len);

/*
 * The fsroot layer: the root of /proc and /sys, NUMABENCH_FSROOT (tests replay captured trees);
 * default "". Every read or write of system state (/proc/sys, /proc/cpuinfo, /proc/cmdline,
 * /proc/vmstat, /proc/self/cgroup and mountinfo, /sys) goes through it: nb_read_file,
 * nb_read_long and the helpers below take the path as the kernel names it ("/sys/..."). The
 * live state of numabench's own processes (/proc/self/exe, /proc/PID/mem, numa_maps, smaps,
 * stat, sched, status) is read directly: a replayed copy of it would measure nothing.
 * Without NUMABENCH_TOPOLOGY, topo.c hands the fsroot to hwloc as HWLOC_FSROOT, so a captured
 * tree (tests/fixtures/guests) replays the whole machine: nodes, cpus, caches, cgroup cpuset.
 */
const char *nb_fsroot(void);
/* path under the fsroot, in buf (truncated to len); returns buf. */
const char *nb_sys_path(const char *path, char *buf, size_t len);
/* access(2), stat(2) is-a-folder, fopen(path, "re") and open(2) of path under the fsroot. */
int nb_sys_access(const char *path, int mode);
bool nb_sys_is_dir(const char *path);
FILE *nb_sys_fopen(const char *path);
int nb_sys_open(const char *path, int flags);

#endif
