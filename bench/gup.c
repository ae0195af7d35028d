/* numabench bench `gup`: when a debugger, profiler or checkpointer reads another process's
 * memory through process_vm_readv/writev, /proc/PID/mem or ptrace, does get_user_pages take NUMA
 * hinting faults on the target's pages and migrate them toward the reader? It depends on the
 * path, on FOLL_FORCE and on the kernel; this bench measures it and writes no expectation down.
 *
 * Protocol (defended at more length in tests/guest/GUP-PROTOCOL.md):
 *
 *  1. kernel.numa_balancing is set before the target starts, and each pass starts a fresh
 *     target: PTEs marked while balancing was on still fault after it is switched off, and a
 *     previous pass may have migrated the buffer.
 *  2. The target is a child (nb_child_spawn: PR_SET_PDEATHSIG, killed on every exit path; it
 *     also exits when its socket to numabench closes) pinned to node A with MPOL_DEFAULT. Its
 *     buffer has no mbind policy: task_numa_work() skips VMAs whose policy lacks MPOL_F_MOF
 *     (vma_policy_mof(), mm/mempolicy.c, 6.1 and 6.12) and an explicit MPOL_BIND has none. The
 *     buffer is placed by first touch on A and verified from /proc/PID/numa_maps, which walks
 *     page tables without faulting (move_pages and get_mempolicy can fault or report -ENOENT
 *     on NUMA-protnone pages). PROT_NONE and read-only neighbours make it its own VMA;
 *     MADV_NOHUGEPAGE keeps one hinting fault per 4 KiB page.
 *  3. The target has two threads: change_pte_range() skips pages already on the scanning CPU's
 *     node when mm_users == 1 (mm/mprotect.c, 6.1 and 6.12). The main thread spins on a small
 *     private area, never on the buffer, because only a running task's mm is scanned, after
 *     scan_delay ms of its own CPU time (task_tick_numa(), kernel/sched/fair.c).
 *  4. scan_delay_ms (and scan_period_min_ms when asked) are lowered through the tunables table
 *     when the knob exists (debugfs, or the pre-5.13 sysctl) and we are root; recorded.
 *  5. Marking is confirmed before every pass: the numa_pte_updates delta since the target
 *     started covers the buffer and the target's mm->numa_scan_seq (/proc/PID/sched) rose
 *     since its setup, i.e. a scan of its mm finished. On timeout the pass is "not marked" and
 *     the cell untrustworthy. The first scan of a target can wait for numabench's own next
 *     scan: init_numa_balancing() runs before copy_mm() and resets numa_next_scan only when
 *     the parent's mm_users is 1 (kernel/sched/fair.c, 6.1 and 6.12); our parent has two
 *     threads, so the child's mm inherits numabench's numa_next_scan (mark_wait_ms shows it).
 *  6. The target is frozen during a pass (SIGSTOP and its group stop seen by waitpid; the
 *     ptrace paths, and /proc/PID/mem "attached", PTRACE_ATTACH the stopped main thread), so
 *     it neither scans nor touches its pages while the counters run.
 *  7. The reader is this bench's thread, pinned to node B, with the default memory policy: a
 *     GUP hinting fault runs in the reader's context and mpol_misplaced() falls back to the
 *     faulting task's policy when the VMA has none (get_vma_policy(), mm/mempolicy.c), so a
 *     reader with another policy would suppress the migration a real debugger causes.
 *  8. /proc/vmstat is global. A null pass (same target, waiting and freeze, no access) measures
 *     the rest of the system; a positive control (the target's second thread moves to node B
 *     and reads every page) shows that marked pages fault and migrate on this kernel, so a
 *     path's zero means "this path takes no hinting fault", not "nothing was marked".
 *  9. Force is what the kernel applies, probed: each path reads a PROT_NONE page and writes a
 *     read-only page of a target; only FOLL_FORCE lets those through (check_vma_flags(),
 *     mm/gup.c). /proc/PID/mem is probed with and without a ptrace attach, which
 *     proc_mem.force_override=ptrace tells apart (proc_mem_foll_force(), fs/proc/base.c, 6.12
 *     and 6.1.113+); a second cell exists only when the attach changes the force. Every pass
 *     repeats the probe on its own target.
 * 10. Each cell runs `repeat` passes, rep-major and rotated, so drifts spread over all cells.
 *     Counts are medians over passes; latency_ns pools every page of every pass.
 */
#include "bench.h"
#include "child.h"
#include "place.h"
#include "remote.h"
#include "sampler.h"
#include "tunables.h"

#include <errno.h>
#include <fcntl.h>
#include <numaif.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_REPEAT 64
#define MAX_CELLS 48   /* 2 pairs x 2 modes x (2 controls + 8 path modes) = 40 */
#define REPLY_MS 60000 /* a target must answer within this (TCG guests are slow) */
#define BUSY_BYTES (4 * 4096)
#define NOT_PROBED (-2)
#define MARKER "numabench-gup"
/* Verdicts: a share of the buffer's pages at or above YES is "does", below NO is "does not". */
#define SHARE_YES 0.5
#define SHARE_NO 0.05

#define PATH_NAMES                                                                                 \
	"process_vm_readv,process_vm_writev,proc_mem_pread,proc_mem_pwrite,ptrace_peek,ptrace_"    \
	"poke"

static const struct nb_param_def params[] = {
    {"size", NB_P_SIZE, "bytes", "1M", 64 * 1024, 256.0 * (1 << 20), NULL,
     "target buffer (4 KiB pages); every page is accessed once per pass"},
    {"repeat", NB_P_INT, "passes", "5", 1, MAX_REPEAT, NULL,
     "passes per cell, in interleaved order (--repeat overrides)"},
    {"paths", NB_P_ENUMS, "", PATH_NAMES, 0, 0,
     "process_vm_readv|process_vm_writev|proc_mem_pread|proc_mem_pwrite|ptrace_peek|"
     "ptrace_poke",
     "access paths"},
    {"balancing", NB_P_ENUMS, "", "0,1", 0, 0, "0|1",
     "kernel.numa_balancing modes (each set before its target starts)"},
    {"pairs", NB_P_ENUMS, "", "cross,local", 0, 0, "cross|local",
     "cross: target on node A, reader on the nearest other node B; local: A = B"},
    {"scan_delay_ms", NB_P_INT, "ms", "100", 0, 3600000, NULL,
     "scan delay during the bench (root; debugfs or old sysctl): a new target's first scan "
     "comes after this much of its cpu time, best just after its setup"},
    {"scan_period_min_ms", NB_P_INT, "ms", "0", 0, 3600000, NULL,
     "shortest scan period during the bench; 0 leaves it as it is"},
    {"mark_timeout_ms", NB_P_INT, "ms", "60000", 100, 3600000, NULL,
     "longest wait for the scanner to mark the buffer"},
    {"settle_ms", NB_P_INT, "ms", "100", 0, 60000, NULL,
     "shortest wait between target start and pass, in every cell"},
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL},
};

/* ---- the target (runs in the child) ---------------------------------------------------- */

/* What the child needs; filled by the parent before each spawn. */
struct tspec {
	int cpus_a[NB_MAX_CPUS], na;
	int cpus_b[NB_MAX_CPUS], nb;
	size_t pages, psz;
	int sock, other; /* the child's socket end; the parent's end, closed in the child */
};

struct ready {
	int err; /* errno of a failed setup, else 0 */
	uintptr_t buf, prot_none, ro;
};

struct tmem {
	const struct tspec *s;
	char *buf, *prot_none, *ro, *busy;
	atomic_int park, parked;
};

static int send_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n) {
		ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * The last pages a CPU faulted in wait in its LRU batch, holding an extra reference, and 6.1's
 * change_pte_range() skips COW-mapping pages whose page_count is not 1 (mm/mprotect.c; 6.12
 * tests the mapcount instead): those buffer pages would never be marked. Faulting in more pages
 * than a batch holds (15 in 6.1, 31 in 6.12) on the same CPU pushes them out.
 */
static int lru_flush(size_t psz)
{
	size_t len = 64 * psz;
	char *f = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (f == MAP_FAILED)
		return -1;
	for (size_t off = 0; off < len; off += psz)
		((volatile char *)f)[off] = 1;
	return munmap(f, len);
}

/* Layout: [PROT_NONE probe][buffer, RW][read-only probe][PROT_NONE guard]. */
static int tmem_map(struct tmem *m, size_t pages, size_t psz)
{
	size_t len = pages * psz;
	char *r =
	    mmap(NULL, len + 3 * psz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	m->busy =
	    mmap(NULL, BUSY_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r == MAP_FAILED || m->busy == MAP_FAILED)
		return -1;
	m->prot_none = r;
	m->buf = r + psz;
	m->ro = m->buf + len;
	if (madvise(m->buf, len, MADV_NOHUGEPAGE))
		return -1;
	memcpy(m->prot_none, MARKER, sizeof(MARKER));
	memcpy(m->ro, MARKER, sizeof(MARKER));
	for (size_t i = 0; i < pages; i++) /* first touch, on node A */
		((volatile char *)m->buf)[i * psz] = (char)i;
	memset(m->busy, 0, BUSY_BYTES);
	if (lru_flush(psz))
		return -1;
	if (mprotect(m->prot_none, psz, PROT_NONE) || mprotect(m->ro, psz, PROT_READ) ||
	    mprotect(m->ro + psz, psz, PROT_NONE))
		return -1;
	return 0;
}

static long thread_minflt(void)
{
	struct rusage ru;
	return getrusage(RUSAGE_THREAD, &ru) ? -1 : ru.ru_minflt;
}

/* Positive control, in the target's second thread: park the main thread, move to node B,
 * read one byte of every page. Replies 'R' when ready, then after "G" its minflt delta and
 * per-page nanoseconds; 'E' when it cannot. */
static void positive(struct tmem *m)
{
	const struct tspec *s = m->s;
	uint64_t *ns = calloc(s->pages, sizeof(*ns));
	atomic_store(&m->park, 1);
	while (!atomic_load(&m->parked))
		sched_yield(); /* the main thread shares node A's cpus with us */
	char c = (!ns || nb_pin_self(s->cpus_b, s->nb)) ? 'E' : 'R';
	if (send_all(s->sock, &c, 1) || c == 'E' || recv(s->sock, &c, 1, 0) != 1) {
		free(ns);
		return;
	}
	long f0 = thread_minflt();
	for (size_t i = 0; i < s->pages; i++) {
		uint64_t t0 = nb_now_ns();
		(void)((volatile char *)m->buf)[i * s->psz];
		ns[i] = nb_now_ns() - t0;
	}
	int64_t flt = thread_minflt() - f0;
	if (send_all(s->sock, &flt, sizeof(flt)) == 0)
		send_all(s->sock, ns, s->pages * sizeof(*ns));
	free(ns);
}

static void *control(void *v)
{
	struct tmem *m = v;
	char c;
	while (recv(m->s->sock, &c, 1, 0) == 1)
		if (c == 'T')
			positive(m);
	_exit(0); /* numabench closed its end: never outlive it */
}

/* The main thread keeps the mm scanned and never touches the buffer. */
static void busy(struct tmem *m)
{
	volatile char *p = m->busy;
	for (size_t i = 0; !atomic_load_explicit(&m->park, memory_order_relaxed); i += 64)
		p[i % BUSY_BYTES]++;
	atomic_store(&m->parked, 1);
	for (;;)
		pause();
}

static int target_main(void *v)
{
	const struct tspec *s = v;
	static struct tmem m;
	struct ready r;
	pthread_t th;
	memset(&r, 0, sizeof(r)); /* padding too: the struct goes over a socket */
	close(s->other);
	m.s = s;
	/* Undo an inherited policy (numactl --membind ...): without MPOL_F_MOF the scanner
	 * would skip every VMA of the target (point 2 above). One cpu of A for the first touch,
	 * so that lru_flush() drains the batch that holds the buffer's last pages. */
	if (set_mempolicy(MPOL_DEFAULT, NULL, 0) || nb_pin_self(s->cpus_a, 1))
		r.err = errno ? errno : EINVAL;
	else if ((errno = pthread_create(&th, NULL, control, &m)))
		r.err = errno; /* before the buffer: mm_users is 2 from the first scan on */
	else if (tmem_map(&m, s->pages, s->psz) || nb_pin_self(s->cpus_a, s->na))
		r.err = errno ? errno : EINVAL;
	r.buf = (uintptr_t)m.buf;
	r.prot_none = (uintptr_t)m.prot_none;
	r.ro = (uintptr_t)m.ro;
	if (send_all(s->sock, &r, sizeof(r)) || r.err)
		return 1;
	busy(&m);
	return 0;
}

/* ---- the target (parent side) ----------------------------------------------------------- */

struct target {
	pid_t pid;
	int sock;
	struct ready r;
	bool attached;
	int64_t seq0; /* mm->numa_scan_seq when the target was ready, -1 unknown */
};

/* Read exactly n bytes within ms; 0, or -1 with errno (ETIMEDOUT, EPIPE, EINTR). */
static int recv_all(int fd, void *p, size_t n, int ms)
{
	char *c = p;
	uint64_t end = nb_now_ns() + (uint64_t)ms * 1000000u;
	while (n) {
		struct pollfd pf = {fd, POLLIN, 0};
		int left = (int)((end - nb_now_ns()) / 1000000u);
		int rc = nb_now_ns() >= end ? 0 : poll(&pf, 1, left);
		if (rc < 0 && errno == EINTR && !nb_interrupted)
			continue;
		if (rc <= 0) {
			errno = rc == 0 ? ETIMEDOUT : errno;
			return -1;
		}
		ssize_t got = recv(fd, c, n, 0);
		if (got <= 0) {
			errno = got == 0 ? EPIPE : errno;
			return -1;
		}
		c += got;
		n -= (size_t)got;
	}
	return 0;
}

static void target_stop(struct target *t)
{
	if (t->pid > 0)
		nb_child_kill(t->pid);
	if (t->sock >= 0)
		close(t->sock);
	t->pid = -1;
	t->sock = -1;
}

static int target_start(struct target *t, struct tspec *s, char *why, size_t wl)
{
	int sv[2];
	memset(t, 0, sizeof(*t));
	t->pid = t->sock = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
		snprintf(why, wl, "socketpair: %s", strerror(errno));
		return -1;
	}
	s->sock = sv[1];
	s->other = sv[0];
	t->pid = nb_child_spawn(target_main, s);
	close(sv[1]);
	t->sock = sv[0];
	if (t->pid < 0 || recv_all(t->sock, &t->r, sizeof(t->r), REPLY_MS)) {
		snprintf(why, wl, "target did not start: %s", strerror(errno));
		return -1;
	}
	if (t->r.err) {
		snprintf(why, wl, "target setup failed: %s", strerror(t->r.err));
		return -1;
	}
	struct nb_sched_numa sn;
	t->seq0 = nb_sched_numa_read(t->pid, 0, &sn) ? -1 : sn.mm_numa_scan_seq;
	return 0;
}

/* State letter of /proc/PID/stat ('T' stopped, 't' tracing stop), or 0. */
static char proc_state(pid_t pid)
{
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (nb_read_file(path, buf, sizeof(buf)))
		return 0;
	const char *p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

/* SIGSTOP, and the group stop reported by waitpid (sent once every thread has stopped). */
static int target_sigstop(struct target *t)
{
	int st;
	if (kill(t->pid, SIGSTOP))
		return -1;
	while (waitpid(t->pid, &st, WUNTRACED) < 0)
		if (errno != EINTR || nb_interrupted)
			return -1;
	if (!WIFSTOPPED(st)) {
		errno = ESRCH;
		return -1;
	}
	return 0;
}

/* PTRACE_ATTACH the stopped main thread; it re-traps into a tracing stop ('t'). The ptrace
 * requests and the /proc/PID/mem force check (task->parent == current) need this thread. */
static int target_attach(struct target *t)
{
	if (ptrace(PTRACE_ATTACH, t->pid, NULL, NULL))
		return -1;
	t->attached = true;
	for (int i = 0; i < 5000 && !nb_interrupted; i++) {
		int st;
		waitpid(t->pid, &st, WNOHANG | __WALL);
		if (proc_state(t->pid) == 't')
			return 0;
		usleep(1000);
	}
	errno = ETIMEDOUT;
	return -1;
}

/* ---- the bench's state ------------------------------------------------------------------ */

enum kind { K_PATH, K_NULL, K_POSITIVE };
static const char *const kind_names[] = {"path", "null", "positive_control"};

struct pass {
	char fail[160]; /* why the pass could not be measured, "" when it was */
	bool marked;
	int err;		 /* access error: errno value or NB_RSHORT; 0 none */
	size_t done;		 /* pages accessed */
	int64_t pte_updates;	 /* numa_pte_updates, target start to freeze */
	struct nb_vmstat during; /* deltas over the access */
	struct nb_placement before, after;
	int64_t reader_minflt, target_minflt;
	double mark_wait_ms;
	int prot_none, read_only; /* probe: 0 ok, errno, NB_RSHORT, NOT_PROBED */
	int data; /* read paths: 1 the last page read back its marker, 0 not, -1 n/a */
};

struct cell {
	enum kind kind;
	enum nb_rpath path;
	bool attached, force, force_probed;
	int balancing;	  /* numa_balancing mode of the cell */
	const char *pair; /* "cross" or "local" */
	int a, b;	  /* target node, reader node */
	char skip[200];	  /* why this cell cannot run here; "" when it can */
	struct pass pass[MAX_REPEAT];
	int npass;
	double *lat; /* pooled per-page ns */
	size_t nlat;
	double tput[MAX_REPEAT];
	int ntput;
	enum nb_status status;
	char why[256];
};

/* Force probe of one (path, attach) mode. */
struct fprobe {
	bool ran;
	int prot_none, read_only; /* 0 ok, errno, NB_RSHORT */
};

struct gup {
	struct nb_ctx *ctx;
	json_t *run;
	size_t pages, psz;
	int repeat;
	uint64_t mark_timeout_ms, settle_ms, last_access_ns;
	const struct nb_param_val *paths, *modes, *pairs;
	int node_a, node_b; /* node_b < 0: no cross pair */
	char no_cross[160];
	long bal_start;	  /* numa_balancing when the bench started, -1 unknown */
	bool can_set_bal; /* root and the knob exists */
	struct fprobe probe[NB_RP_COUNT][2];
	char setup_fail[200];
	struct cell *cells;
	int ncells;
	struct tspec spec;
	char *scratch;
	uintptr_t *addrs;
	uint64_t *ns;
};

static const char *err_name(int e, char *buf, size_t len)
{
	if (e == 0)
		return "ok";
	if (e == NB_RSHORT)
		return "short transfer";
	const char *n = strerrorname_np(e);
	if (n)
		return n;
	snprintf(buf, len, "E%d", e);
	return buf;
}

static json_t *err_json(int e)
{
	char b[16];
	return e == NOT_PROBED ? json_null() : json_string(err_name(e, b, sizeof(b)));
}

/* ---- tunables --------------------------------------------------------------------------- */

static long knob_value(const char *name)
{
	char buf[64];
	const struct nb_tunable *t = nb_tunable_find(name);
	uint64_t v;
	if (!t || nb_tunable_get(t, buf, sizeof(buf)) || nb_parse_u64(buf, &v))
		return -1;
	return (long)v;
}

static int knob_set(const char *name, long v, char *why, size_t wl)
{
	char val[32];
	snprintf(val, sizeof(val), "%ld", v);
	return nb_tunable_set(nb_tunable_find(name), val, why, wl);
}

/* Lower the scan tunables for the bench; record what was done in run["scan_tunables"]. */
static void scan_tunables(struct gup *g, const struct nb_params *p)
{
	static const char *const names[] = {"scan_delay_ms", "scan_period_min_ms"};
	json_t *o = json_object();
	json_object_set_new(g->run, "scan_tunables", o);
	for (int i = 0; i < 2; i++) {
		long want = (long)nb_param_u64(p, names[i]), was = knob_value(names[i]);
		char why[256] = "";
		if (i == 1 && want == 0)
			snprintf(why, sizeof(why), "left as it is (parameter 0)");
		else if (!g->ctx->caps->root)
			snprintf(why, sizeof(why), "unchanged: needs root");
		else if (was < 0)
			snprintf(why, sizeof(why), "unchanged: knob absent (no debugfs?)");
		else
			knob_set(names[i], want, why, sizeof(why));
		long now = knob_value(names[i]);
		json_object_set_new(o, names[i],
				    json_pack("{s:o,s:o,s:s*}", "before",
					      was < 0 ? json_null() : json_integer(was), "during",
					      now < 0 ? json_null() : json_integer(now), "note",
					      why[0] ? why : NULL));
	}
}

/* Put back what the bench changed (the runner's journal restores the boot values later). */
static void tunables_back(struct gup *g, long delay, long period)
{
	char why[256];
	if (g->can_set_bal && g->bal_start >= 0 && knob_value("numa_balancing") != g->bal_start)
		knob_set("numa_balancing", g->bal_start, why, sizeof(why));
	if (delay >= 0 && knob_value("scan_delay_ms") != delay)
		knob_set("scan_delay_ms", delay, why, sizeof(why));
	if (period >= 0 && knob_value("scan_period_min_ms") != period)
		knob_set("scan_period_min_ms", period, why, sizeof(why));
}

/* ---- cells ------------------------------------------------------------------------------ */

static int node_index(const struct nb_topo *t, int id)
{
	for (int i = 0; i < t->nnodes; i++)
		if (t->nodes[i].id == id)
			return i;
	return -1;
}

static bool in_set(const int *v, int n, int x)
{
	for (int i = 0; i < n; i++)
		if (v[i] == x)
			return true;
	return false;
}

/* A = first node of the run with cpus and memory; B = the nearest other such node. */
static int pick_nodes(struct gup *g)
{
	const struct nb_ctx *ctx = g->ctx;
	int cn[NB_MAX_NODES], mn[NB_MAX_NODES], ok[NB_MAX_NODES], n = 0;
	int ncn = nb_ctx_cpu_nodes(ctx, cn), nmn = nb_ctx_mem_nodes(ctx, mn);
	for (int i = 0; i < ncn; i++)
		if (in_set(mn, nmn, cn[i]))
			ok[n++] = cn[i];
	if (n == 0)
		return -1;
	g->node_a = ok[0];
	g->node_b = -1;
	uint64_t best = UINT64_MAX;
	int ia = node_index(ctx->topo, g->node_a);
	for (int i = 1; i < n; i++) {
		int ib = node_index(ctx->topo, ok[i]);
		uint64_t d = ctx->topo->have_distances ? ctx->topo->distances[ia][ib] : (uint64_t)i;
		if (d < best) {
			best = d;
			g->node_b = ok[i];
		}
	}
	if (g->node_b < 0)
		snprintf(g->no_cross, sizeof(g->no_cross),
			 "cross-node cells need 2 nodes with cpus and memory; this run has 1");
	return 0;
}

/* Force of a probed mode: a read path reading PROT_NONE, a write path writing read-only. */
static int probed_force(const struct gup *g, enum nb_rpath p, bool attached)
{
	const struct fprobe *f = &g->probe[p][attached];
	int e = nb_rpaths[p].write ? f->read_only : f->prot_none;
	if (!f->ran || e == EPERM || e == EACCES || e == ESRCH)
		return -1;
	return e == 0;
}

/* Force when the probe could not tell: what the kernel documents (KERNEL-NOTES). */
static bool expected_force(const struct gup *g, enum nb_rpath p, bool attached)
{
	if (nb_rpaths[p].ptrace)
		return true;
	if (nb_rpaths[p].memfd)
		return attached || g->ctx->caps->proc_mem_force == 1;
	return false;
}

/* A cell of kind k like tmpl (pair, nodes, balancing, skip reason). */
static struct cell *cell_add(struct gup *g, const struct cell *tmpl, enum kind k, enum nb_rpath p,
			     bool attached)
{
	if (g->ncells >= MAX_CELLS)
		return NULL;
	struct cell *c = &g->cells[g->ncells++];
	memset(c, 0, sizeof(*c));
	c->kind = k;
	c->path = p;
	c->attached = attached;
	c->balancing = tmpl->balancing;
	c->pair = tmpl->pair;
	c->a = tmpl->a;
	c->b = tmpl->b;
	snprintf(c->skip, sizeof(c->skip), "%s", tmpl->skip);
	if (k == K_PATH) {
		int f = probed_force(g, p, attached);
		c->force_probed = f >= 0;
		c->force = f >= 0 ? f : expected_force(g, p, attached);
	}
	return c;
}

/* The modes of one path: process_vm unattached, ptrace attached; /proc/PID/mem unattached,
 * and attached too when the attach changes the force the kernel applies. */
static void path_cells(struct gup *g, enum nb_rpath p, const struct cell *tmpl)
{
	int fu = probed_force(g, p, false), fa = probed_force(g, p, true);
	if (!nb_rpaths[p].ptrace)
		cell_add(g, tmpl, K_PATH, p, false);
	if (nb_rpaths[p].ptrace || (nb_rpaths[p].memfd && fa >= 0 && fa != fu))
		cell_add(g, tmpl, K_PATH, p, true);
}

static void why_not(const struct gup *g, struct cell *t, bool cross)
{
	long now = knob_value("numa_balancing");
	t->skip[0] = 0;
	if (cross && g->node_b < 0)
		snprintf(t->skip, sizeof(t->skip), "%s", g->no_cross);
	else if (!g->can_set_bal && now != t->balancing)
		snprintf(t->skip, sizeof(t->skip),
			 "needs root to set kernel.numa_balancing=%d (it is %ld here)",
			 t->balancing, now);
	else if (g->setup_fail[0])
		snprintf(t->skip, sizeof(t->skip), "%s", g->setup_fail);
}

static void cells_build(struct gup *g)
{
	for (int pi = 0; pi < g->pairs->nlist; pi++)
		for (int bi = 0; bi < g->modes->nlist; bi++) {
			bool cross = g->pairs->list[pi] == 0;
			struct cell t = {.pair = cross ? "cross" : "local",
					 .balancing = (int)g->modes->list[bi],
					 .a = g->node_a,
					 .b = cross ? g->node_b : g->node_a};
			why_not(g, &t, cross);
			cell_add(g, &t, K_NULL, 0, false);
			cell_add(g, &t, K_POSITIVE, 0, false);
			for (int i = 0; i < g->paths->nlist; i++)
				path_cells(g, (enum nb_rpath)g->paths->list[i], &t);
		}
}

/* ---- one pass --------------------------------------------------------------------------- */

static int spec_for(struct gup *g, int a, int b, size_t pages)
{
	g->spec.na = nb_ctx_node_cpus(g->ctx, a, g->spec.cpus_a);
	g->spec.nb = nb_ctx_node_cpus(g->ctx, b, g->spec.cpus_b);
	g->spec.pages = pages;
	g->spec.psz = g->psz;
	return g->spec.na > 0 && g->spec.nb > 0 ? 0 : -1;
}

/* Marked: numa_pte_updates since the target started cover the buffer, and the scanner
 * finished a pass over the target's mm since its buffer exists (mm->numa_scan_seq rose; it
 * can start from the parent's value, see point 5; -1 when not printed, then the pte count
 * has to do). */
static bool is_marked(const struct gup *g, const struct target *t, const struct nb_vmstat *v0)
{
	struct nb_vmstat v;
	struct nb_sched_numa s;
	int64_t base = v0->v[NB_VM_numa_pte_updates];
	if (nb_vmstat_read(&v) || base < 0 ||
	    v.v[NB_VM_numa_pte_updates] - base < (int64_t)g->pages)
		return false;
	if (nb_sched_numa_read(t->pid, 0, &s))
		return false;
	return t->seq0 < 0 || s.mm_numa_scan_seq < 0 || s.mm_numa_scan_seq > t->seq0;
}

/* Wait at least settle_ms, and with balancing on until the buffer is marked (or timeout). */
static bool wait_marked(const struct gup *g, const struct target *t, const struct nb_vmstat *v0,
			bool want, double *ms)
{
	uint64_t t0 = nb_now_ns();
	for (;;) {
		uint64_t el = (nb_now_ns() - t0) / 1000000u;
		bool m = want && is_marked(g, t, v0);
		if ((el >= g->settle_ms && (m || !want)) || el >= g->mark_timeout_ms ||
		    nb_interrupted) {
			*ms = (double)el;
			return m;
		}
		usleep(2000);
	}
}

static void pass_fail(struct pass *p, const char *what, int e)
{
	char b[16];
	snprintf(p->fail, sizeof(p->fail), "%s: %s", what, err_name(e, b, sizeof(b)));
}

static int freeze(struct cell *c, struct target *t, struct pass *p)
{
	char r = 0;
	if (c->kind == K_POSITIVE) {
		if (send_all(t->sock, "T", 1) || recv_all(t->sock, &r, 1, REPLY_MS) || r != 'R') {
			pass_fail(p, "positive control: the target's second thread did not move",
				  r == 'E' ? EINVAL : errno);
			return -1;
		}
		return 0;
	}
	if (target_sigstop(t)) {
		pass_fail(p, "SIGSTOP of the target", errno);
		return -1;
	}
	if (c->kind == K_PATH && c->attached && target_attach(t)) {
		p->err = errno;
		pass_fail(p, "PTRACE_ATTACH", errno);
		return -1;
	}
	return 0;
}

static int open_mem(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	return open(path, O_RDWR | O_CLOEXEC);
}

/* The access itself: a path over every page, the null wait, or the positive control. */
static void access_pages(struct gup *g, struct cell *c, struct target *t, struct pass *p,
			 const struct nb_remote *r)
{
	if (c->kind == K_PATH) {
		p->done = nb_remote_pass(c->path, r, g->addrs, g->pages, nb_now_ns, g->ns, &p->err);
	} else if (c->kind == K_NULL) {
		uint64_t w = g->last_access_ns < 1000000u ? 1000000u : g->last_access_ns;
		struct timespec ts = {(time_t)(w / 1000000000u), (long)(w % 1000000000u)};
		while (nanosleep(&ts, &ts) && errno == EINTR && !nb_interrupted)
			;
	} else if (send_all(t->sock, "G", 1) ||
		   recv_all(t->sock, &p->reader_minflt, sizeof(p->reader_minflt), REPLY_MS) ||
		   recv_all(t->sock, g->ns, g->pages * sizeof(*g->ns), REPLY_MS)) {
		pass_fail(p, "positive control: no answer from the target", errno);
	} else {
		p->done = g->pages;
	}
}

/* Keep the pass's per-page times and throughput in the cell. */
static void collect(struct gup *g, struct cell *c, const struct pass *p)
{
	double sum = 0;
	if (c->kind == K_NULL || p->fail[0] || p->err || !p->done)
		return;
	if (!c->lat)
		c->lat = malloc(g->pages * (size_t)g->repeat * sizeof(*c->lat));
	for (size_t i = 0; c->lat && i < p->done; i++) {
		c->lat[c->nlat++] = (double)g->ns[i];
		sum += (double)g->ns[i];
	}
	if (sum > 0)
		c->tput[c->ntput++] = (double)p->done / (sum * 1e-9);
}

static void probe_pages(struct cell *c, struct target *t, struct pass *p, const struct nb_remote *r)
{
	if (c->kind != K_PATH)
		return;
	p->prot_none = nb_remote_access(c->path, r, t->r.prot_none);
	p->read_only = nb_remote_access(c->path, r, t->r.ro);
}

static void measure(struct gup *g, struct cell *c, struct target *t, struct pass *p,
		    const struct nb_vmstat *v0)
{
	struct nb_vmstat v1, v2;
	struct nb_remote r = {t->pid, -1, g->scratch, g->psz};
	int64_t tf0 = 0, tf1 = 0, maj;
	size_t len = g->pages * g->psz;
	if (c->kind == K_PATH && nb_rpaths[c->path].memfd && (r.memfd = open_mem(t->pid)) < 0) {
		p->err = errno;
		pass_fail(p, "open /proc/PID/mem", errno);
		return;
	}
	for (size_t i = 0; i < g->pages; i++)
		g->addrs[i] = t->r.buf + i * g->psz;
	nb_placement_numa_maps(t->pid, (void *)t->r.buf, len, c->a, &p->before);
	nb_task_faults(t->pid, &tf0, &maj);
	nb_vmstat_read(&v1);
	p->pte_updates = v1.v[NB_VM_numa_pte_updates] - v0->v[NB_VM_numa_pte_updates];
	long f0 = thread_minflt();
	uint64_t t0 = nb_now_ns();
	access_pages(g, c, t, p, &r);
	uint64_t el = nb_now_ns() - t0;
	long f1 = thread_minflt();
	/* A read path really read the target: page i starts with (char)i (tmem_map). */
	p->data = c->kind != K_PATH || nb_rpaths[c->path].write || !p->done
		      ? -1
		      : g->scratch[0] == (char)(p->done - 1);
	nb_vmstat_read(&v2);
	nb_task_faults(t->pid, &tf1, &maj);
	nb_placement_numa_maps(t->pid, (void *)t->r.buf, len, c->a, &p->after);
	nb_vmstat_delta(&v1, &v2, &p->during);
	if (c->kind != K_POSITIVE) /* the positive control's reader is the target's thread */
		p->reader_minflt = f1 - f0;
	p->target_minflt = tf1 - tf0;
	probe_pages(c, t, p, &r);
	if (r.memfd >= 0)
		close(r.memfd);
	if (c->kind == K_PATH && !p->fail[0])
		g->last_access_ns = el;
}

static void run_pass(struct gup *g, struct cell *c, struct pass *p)
{
	struct target t = {.pid = -1, .sock = -1};
	struct nb_vmstat v0;
	char why[256];
	memset(p, 0, sizeof(*p));
	p->prot_none = p->read_only = NOT_PROBED;
	p->data = -1;
	if (spec_for(g, c->a, c->b, g->pages) || nb_pin_self(g->spec.cpus_b, g->spec.nb)) {
		pass_fail(p, "cannot pin the reader to its node", errno);
		return;
	}
	/* Before the target starts (point 1). */
	if (g->can_set_bal && knob_value("numa_balancing") != c->balancing &&
	    knob_set("numa_balancing", c->balancing, why, sizeof(why))) {
		snprintf(p->fail, sizeof(p->fail), "%s", why);
		return;
	}
	nb_vmstat_read(&v0);
	if (target_start(&t, &g->spec, p->fail, sizeof(p->fail)) == 0) {
		p->marked = wait_marked(g, &t, &v0, c->balancing > 0, &p->mark_wait_ms);
		if (!nb_interrupted && freeze(c, &t, p) == 0)
			measure(g, c, &t, p, &v0);
	}
	target_stop(&t);
}

/* ---- force probe ------------------------------------------------------------------------ */

static void probe_mode(struct gup *g, const struct target *t, bool attached, int attach_err)
{
	struct nb_remote r = {t->pid, open_mem(t->pid), g->scratch, g->psz};
	int memerr = r.memfd < 0 ? errno : 0;
	for (int i = 0; i < NB_RP_COUNT; i++) {
		enum nb_rpath p = (enum nb_rpath)i;
		struct fprobe *f = &g->probe[p][attached];
		if (!nb_rpaths[p].memfd && nb_rpaths[p].ptrace != attached)
			continue; /* process_vm is probed unattached, ptrace attached */
		int pre = attach_err ? attach_err : nb_rpaths[p].memfd ? memerr : 0;
		f->ran = true;
		f->prot_none = pre ? pre : nb_remote_access(p, &r, t->r.prot_none);
		f->read_only = pre ? pre : nb_remote_access(p, &r, t->r.ro);
	}
	if (r.memfd >= 0)
		close(r.memfd);
}

/* Which force each path gets here, from the user-visible side (point 9). */
static void probe_paths(struct gup *g)
{
	struct target t = {.pid = -1, .sock = -1};
	char why[160];
	if (spec_for(g, g->node_a, g->node_a, 1) || target_start(&t, &g->spec, why, sizeof(why)) ||
	    target_sigstop(&t)) {
		snprintf(g->setup_fail, sizeof(g->setup_fail), "force probe: %s",
			 t.pid > 0 ? strerror(errno) : why);
		target_stop(&t);
		return;
	}
	probe_mode(g, &t, false, 0);
	probe_mode(g, &t, true, target_attach(&t) ? errno : 0);
	target_stop(&t);
}

static json_t *force_effects_json(const struct gup *g)
{
	json_t *a = json_array();
	for (int i = 0; i < NB_RP_COUNT; i++)
		for (int m = 0; m < 2; m++) {
			const struct fprobe *f = &g->probe[i][m];
			int force = probed_force(g, (enum nb_rpath)i, m);
			if (!f->ran)
				continue;
			json_t *o =
			    json_pack("{s:s,s:b,s:o,s:o}", "path", nb_rpaths[i].name,
				      "ptrace_attached", m, "prot_none", err_json(f->prot_none),
				      "read_only", err_json(f->read_only));
			json_object_set_new(o, "force",
					    force < 0 ? json_null() : json_boolean(force));
			json_array_append_new(a, o);
		}
	return a;
}

/* ---- results ---------------------------------------------------------------------------- */

/* Per-pass values; V_* below 0, else an index into the vmstat deltas over the access. */
enum { V_PTE = -1, V_RMINFLT = -2, V_TMINFLT = -3, V_MARKMS = -4, V_MOVED = -5 };

static bool measured(const struct pass *p)
{
	return !p->fail[0];
}

static int64_t pass_value(const struct pass *p, int what, int b)
{
	switch (what) {
	case V_PTE:
		return p->pte_updates;
	case V_RMINFLT:
		return p->reader_minflt;
	case V_TMINFLT:
		return p->target_minflt;
	case V_MARKMS:
		return (int64_t)p->mark_wait_ms;
	case V_MOVED: /* pages that arrived on the reader's node */
		return b < 0 ? 0 : (int64_t)p->after.per_node[b] - (int64_t)p->before.per_node[b];
	default:
		return p->during.v[what];
	}
}

static int cmp_i64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
	return (a > b) - (a < b);
}

/* Lower median over the measured passes; false when there is none or the kernel lacks it. */
static bool median(const struct cell *c, int what, int64_t *out)
{
	int64_t v[MAX_REPEAT];
	int n = 0;
	for (int i = 0; i < c->npass; i++) {
		if (!measured(&c->pass[i]))
			continue;
		v[n] = pass_value(&c->pass[i], what, c->b);
		if (what >= 0 && v[n] < 0)
			return false;
		n++;
	}
	if (n == 0)
		return false;
	qsort(v, (size_t)n, sizeof(*v), cmp_i64);
	*out = v[(n - 1) / 2];
	return true;
}

static json_t *median_json(const struct cell *c, int what)
{
	int64_t v;
	return median(c, what, &v) ? json_integer((json_int_t)v) : json_null();
}

/* Share of the buffer's pages, from a median; -1 when unknown. */
static double share(const struct gup *g, const struct cell *c, int what)
{
	int64_t v;
	return c && median(c, what, &v) ? (double)v / (double)g->pages : -1;
}

static json_t *nodes_json(const uint64_t *per_node)
{
	json_t *o = json_object();
	for (int n = 0; n < NB_MAX_NODES; n++) {
		char k[16];
		snprintf(k, sizeof(k), "%d", n);
		if (per_node[n])
			json_object_set_new(o, k, json_integer((json_int_t)per_node[n]));
	}
	return o;
}

/* Node id -> pages, each node's median over the measured passes. */
static json_t *placement_json(const struct cell *c, bool after)
{
	uint64_t med[NB_MAX_NODES] = {0};
	for (int n = 0; n < NB_MAX_NODES; n++) {
		int64_t v[MAX_REPEAT];
		int k = 0;
		for (int i = 0; i < c->npass; i++)
			if (measured(&c->pass[i]))
				v[k++] = (int64_t)(after ? c->pass[i].after : c->pass[i].before)
					     .per_node[n];
		qsort(v, (size_t)k, sizeof(*v), cmp_i64);
		med[n] = k ? (uint64_t)v[(k - 1) / 2] : 0;
	}
	return nodes_json(med);
}

static json_t *pass_json(const struct cell *c, const struct pass *p)
{
	char b[16];
	json_t *o =
	    json_pack("{s:b,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:f}", "marked", p->marked,
		      "pte_updates", (json_int_t)p->pte_updates, "hint_faults",
		      (json_int_t)p->during.v[NB_VM_numa_hint_faults], "hint_faults_local",
		      (json_int_t)p->during.v[NB_VM_numa_hint_faults_local], "pages_migrated",
		      (json_int_t)p->during.v[NB_VM_numa_pages_migrated], "pgmigrate_success",
		      (json_int_t)p->during.v[NB_VM_pgmigrate_success], "pgmigrate_fail",
		      (json_int_t)p->during.v[NB_VM_pgmigrate_fail], "reader_minflt",
		      (json_int_t)p->reader_minflt, "target_minflt", (json_int_t)p->target_minflt,
		      "pages_done", (json_int_t)p->done, "mark_wait_ms", p->mark_wait_ms);
	json_object_set_new(o, "placement_before", nodes_json(p->before.per_node));
	json_object_set_new(o, "placement_after", nodes_json(p->after.per_node));
	json_object_set_new(o, "pte_updates_during",
			    json_integer((json_int_t)p->during.v[NB_VM_numa_pte_updates]));
	json_object_set_new(o, "errno",
			    p->err ? json_string(err_name(p->err, b, sizeof(b))) : json_null());
	if (p->fail[0])
		json_object_set_new(o, "fail", json_string(p->fail));
	if (p->data >= 0)
		json_object_set_new(o, "data_verified", json_boolean(p->data));
	if (c->kind == K_PATH)
		json_object_set_new(o, "probe",
				    json_pack("{s:o,s:o}", "prot_none", err_json(p->prot_none),
					      "read_only", err_json(p->read_only)));
	return o;
}

/* The force a pass's own probe showed, or -1. */
static int pass_force(const struct cell *c, const struct pass *p)
{
	int e = nb_rpaths[c->path].write ? p->read_only : p->prot_none;
	return e == NOT_PROBED || e == EPERM || e == EACCES ? -1 : e == 0;
}

static void cell_probe_json(const struct cell *c, json_t *o)
{
	const struct pass *first = NULL;
	bool consistent = true;
	for (int i = 0; i < c->npass; i++) {
		int f = pass_force(c, &c->pass[i]);
		if (f >= 0 && !first)
			first = &c->pass[i];
		consistent &= f < 0 || f == c->force;
	}
	json_object_set_new(o, "prot_none", first ? err_json(first->prot_none) : json_null());
	json_object_set_new(o, "read_only", first ? err_json(first->read_only) : json_null());
	json_object_set_new(o, "force_probed", json_boolean(c->force_probed));
	json_object_set_new(o, "force_consistent", json_boolean(consistent));
}

static const char *cell_op(const struct cell *c)
{
	return c->kind == K_NULL				    ? "none"
	       : c->kind == K_POSITIVE || !nb_rpaths[c->path].write ? "read"
								    : "write";
}

static const char *cell_path(const struct cell *c)
{
	return c->kind == K_PATH ? nb_rpaths[c->path].name : kind_names[c->kind];
}

static json_t *node_json(int n)
{
	return n < 0 ? json_null() : json_integer(n);
}

static const char *cell_errno(const struct cell *c, char *b, size_t len)
{
	for (int i = 0; i < c->npass; i++)
		if (c->pass[i].err)
			return err_name(c->pass[i].err, b, len);
	return NULL;
}

static void cell_counts_json(const struct cell *c, json_t *o)
{
	char b[16];
	const char *e = cell_errno(c, b, sizeof(b));
	json_object_set_new(o, "pte_updates", median_json(c, V_PTE));
	json_object_set_new(o, "pte_updates_during", median_json(c, NB_VM_numa_pte_updates));
	json_object_set_new(o, "hint_faults", median_json(c, NB_VM_numa_hint_faults));
	json_object_set_new(o, "hint_faults_local", median_json(c, NB_VM_numa_hint_faults_local));
	json_object_set_new(o, "pages_migrated", median_json(c, NB_VM_numa_pages_migrated));
	json_object_set_new(o, "pgmigrate_success", median_json(c, NB_VM_pgmigrate_success));
	json_object_set_new(o, "pgmigrate_fail", median_json(c, NB_VM_pgmigrate_fail));
	json_object_set_new(o, "pgfault", median_json(c, NB_VM_pgfault));
	json_object_set_new(o, "reader_minflt", median_json(c, V_RMINFLT));
	json_object_set_new(o, "target_minflt", median_json(c, V_TMINFLT));
	json_object_set_new(o, "mark_wait_ms", median_json(c, V_MARKMS));
	json_object_set_new(o, "placement_before", placement_json(c, false));
	json_object_set_new(o, "placement_after", placement_json(c, true));
	json_object_set_new(o, "errno", e ? json_string(e) : json_null());
	if (c->nlat)
		json_object_set_new(o, "latency_ns",
				    nb_metric("ns", "lower", c->lat, (int)c->nlat));
	if (c->ntput)
		json_object_set_new(o, "throughput",
				    nb_metric("pages/s", "higher", c->tput, c->ntput));
}

static json_t *cell_json(const struct gup *g, const struct cell *c)
{
	json_t *o = json_pack(
	    "{s:s,s:s,s:s,s:s,s:i,s:b,s:b,s:I,s:I}", "path", cell_path(c), "op", cell_op(c), "kind",
	    kind_names[c->kind], "pair", c->pair, "balancing", c->balancing, "force", c->force,
	    "ptrace_attached", c->attached, "pages", (json_int_t)g->pages, "bytes_per_access",
	    (json_int_t)(c->kind == K_PATH && nb_rpaths[c->path].bytes ? nb_rpaths[c->path].bytes
								       : g->psz));
	json_object_set_new(o, "reader_node", node_json(c->b));
	json_object_set_new(o, "target_node", node_json(c->a));
	json_object_set_new(o, "status", json_string(nb_status_name(c->status)));
	if (c->why[0])
		json_object_set_new(o, "reason", json_string(c->why));
	if (c->skip[0])
		return o;
	int marked = 0;
	json_t *passes = json_array();
	for (int i = 0; i < c->npass; i++) {
		marked += c->pass[i].marked;
		json_array_append_new(passes, pass_json(c, &c->pass[i]));
	}
	json_object_set_new(o, "passes", passes);
	json_object_set_new(o, "passes_marked", json_integer(marked));
	cell_counts_json(c, o);
	if (c->kind == K_PATH)
		cell_probe_json(c, o);
	return o;
}

/* ---- status and verdicts ---------------------------------------------------------------- */

static const struct cell *control_of(const struct gup *g, const struct cell *c, enum kind k)
{
	for (int i = 0; i < g->ncells; i++) {
		const struct cell *x = &g->cells[i];
		if (x->kind == k && x->balancing == c->balancing && !strcmp(x->pair, c->pair))
			return x;
	}
	return NULL;
}

/* Share of pages that took a hinting fault in c, net of the null pass. */
static double faulted(const struct gup *g, const struct cell *c)
{
	double f = share(g, c, NB_VM_numa_hint_faults);
	double n = share(g, control_of(g, c, K_NULL), NB_VM_numa_hint_faults);
	return f < 0 ? -1 : f - (n > 0 ? n : 0);
}

struct tally {
	int perm, failed, errs, unmarked, offmarked, misplaced, baddata;
	const struct pass *fail, *err;
};

static void tally(const struct cell *c, struct tally *t)
{
	memset(t, 0, sizeof(*t));
	for (int i = 0; i < c->npass; i++) {
		const struct pass *p = &c->pass[i];
		if (p->err == EPERM || p->err == EACCES) {
			t->perm++;
		} else if (p->fail[0]) {
			t->failed++;
			t->fail = t->fail ? t->fail : p;
		} else if (p->err) {
			t->errs++;
			t->err = t->err ? t->err : p;
		} else {
			t->unmarked += c->balancing && !p->marked;
			t->offmarked += !c->balancing && p->pte_updates > 0;
			t->misplaced += p->before.on_intended < NB_PLACE_MIN_SHARE;
			t->baddata += p->data == 0;
		}
	}
}

static enum nb_status cell_status(const struct gup *g, const struct cell *c, char *why, size_t wl)
{
	struct tally t;
	char b[16];
	tally(c, &t);
	if (c->skip[0] || c->npass == 0) {
		snprintf(why, wl, "%s", c->skip[0] ? c->skip : "interrupted before it ran");
		return NB_SKIPPED;
	}
	if (t.perm == c->npass) {
		snprintf(why, wl, "permission denied (%s): no ptrace rights over the target",
			 err_name(c->pass[0].err, b, sizeof(b)));
		return NB_SKIPPED;
	}
	if (t.failed || t.perm) {
		snprintf(why, wl, "%s", t.fail ? t.fail->fail : "permission denied in some passes");
		return NB_FAILED;
	}
	if (t.errs) {
		snprintf(why, wl, "%s: %s at page %zu of %zu", cell_path(c),
			 err_name(t.err->err, b, sizeof(b)), t.err->done, g->pages);
		return NB_FAILED;
	}
	if (t.baddata) {
		snprintf(why, wl, "%s returned other data than the target's in %d of %d passes",
			 cell_path(c), t.baddata, c->npass);
		return NB_FAILED;
	}
	if (t.unmarked) {
		snprintf(why, wl,
			 "not marked: the scanner did not cover the buffer within %llu ms in %d of "
			 "%d passes",
			 (unsigned long long)g->mark_timeout_ms, t.unmarked, c->npass);
		return NB_UNTRUSTWORTHY;
	}
	if (t.offmarked) {
		snprintf(why, wl, "balancing off, yet numa_pte_updates rose in %d of %d passes",
			 t.offmarked, c->npass);
		return NB_UNTRUSTWORTHY;
	}
	if (t.misplaced) {
		snprintf(why, wl, "buffer below %.0f%% on node %d before %d of %d passes",
			 100 * NB_PLACE_MIN_SHARE, c->a, t.misplaced, c->npass);
		return NB_UNTRUSTWORTHY;
	}
	if (c->kind == K_POSITIVE && c->balancing && faulted(g, c) < SHARE_YES) {
		snprintf(why, wl,
			 "positive control: %.0f%% of the marked pages took a hinting fault when "
			 "the target's own thread read them",
			 100 * faulted(g, c));
		return NB_UNTRUSTWORTHY;
	}
	return NB_OK;
}

/* What the pages did, in words: "faults and migrates toward reader", "no hinting fault"... */
static void verdict_text(const struct gup *g, const struct cell *c, char *out, size_t len)
{
	const struct cell *pos = control_of(g, c, K_POSITIVE);
	double f = faulted(g, c), m = share(g, c, V_MOVED), pm = share(g, pos, V_MOVED);
	bool cross = c->a != c->b;
	char what[64], mig[96] = "";
	if (c->status != NB_OK) {
		snprintf(out, len, "%s: %s",
			 c->status == NB_UNTRUSTWORTHY ? "inconclusive" : "not measured", c->why);
		return;
	}
	if (!pos || pos->status != NB_OK) {
		snprintf(out, len, "inconclusive: positive control %s%s%s",
			 pos ? nb_status_name(pos->status) : "missing", pos ? ": " : "",
			 pos ? pos->why : "");
		return;
	}
	if (f >= SHARE_YES)
		snprintf(what, sizeof(what), "faults");
	else if (f < SHARE_NO)
		snprintf(what, sizeof(what), "no hinting fault");
	else
		snprintf(what, sizeof(what), "hinting faults on %.0f%% of pages", 100 * f);
	if (f >= SHARE_NO && !cross)
		snprintf(mig, sizeof(mig), " (local: nothing to migrate)");
	else if (f >= SHARE_NO && m >= SHARE_YES)
		snprintf(mig, sizeof(mig), " and migrates toward reader");
	else if (f >= SHARE_NO && m < SHARE_NO)
		snprintf(mig, sizeof(mig), ", no migration%s",
			 pm < SHARE_YES ? " (the positive control did not migrate either)" : "");
	else if (f >= SHARE_NO)
		snprintf(mig, sizeof(mig), ", migrates %.0f%% of pages toward reader", 100 * m);
	snprintf(out, len, "%s%s", what, mig);
}

static json_t *verdicts_json(const struct gup *g, int *faulting, int *total)
{
	json_t *a = json_array();
	*faulting = *total = 0;
	for (int i = 0; i < g->ncells; i++) {
		const struct cell *c = &g->cells[i];
		char v[256];
		if (c->kind != K_PATH || c->balancing != 1 || c->skip[0])
			continue;
		verdict_text(g, c, v, sizeof(v));
		json_array_append_new(
		    a, json_pack("{s:s,s:s,s:b,s:b,s:s,s:o,s:o,s:s,s:f,s:f}", "path", cell_path(c),
				 "op", cell_op(c), "force", c->force, "ptrace_attached",
				 c->attached, "pair", c->pair, "reader_node", node_json(c->b),
				 "target_node", node_json(c->a), "verdict", v, "faulted_share",
				 faulted(g, c), "migrated_share", share(g, c, V_MOVED)));
		if (!strcmp(c->pair, "cross") || g->node_b < 0) {
			(*total)++;
			*faulting += !strncmp(v, "faults", 6);
		}
	}
	return a;
}

/* ---- the run ---------------------------------------------------------------------------- */

static int reader_buffers(struct gup *g)
{
	g->scratch = aligned_alloc(g->psz, g->psz);
	g->addrs = calloc(g->pages, sizeof(*g->addrs));
	g->ns = calloc(g->pages, sizeof(*g->ns));
	if (!g->scratch || !g->addrs || !g->ns)
		return -1;
	for (size_t i = 0; i < g->psz; i++) /* what the write paths write */
		g->scratch[i] = (char)(0xa5 ^ i);
	return 0;
}

/* The bench thread: probe force, build the cells, then every pass, rep-major and rotated. */
static void orchestrate(void *v)
{
	struct gup *g = v;
	if (reader_buffers(g))
		snprintf(g->setup_fail, sizeof(g->setup_fail), "out of memory");
	else
		probe_paths(g);
	cells_build(g);
	for (int r = 0; r < g->repeat && !nb_interrupted; r++)
		for (int i = 0; i < g->ncells && !nb_interrupted; i++) {
			struct cell *c = &g->cells[(i + r) % g->ncells];
			if (c->skip[0])
				continue;
			nb_progress("gup: pass %d/%d, %s %s balancing=%d (%d/%d)", r + 1, g->repeat,
				    c->pair, cell_path(c), c->balancing, i + 1, g->ncells);
			run_pass(g, c, &c->pass[c->npass]);
			collect(g, c, &c->pass[c->npass]);
			c->npass++;
		}
}

/* The last proc_mem.force_override= on the kernel command line (the kernel keeps the last). */
static json_t *force_override_json(void)
{
	static const char key[] = "proc_mem.force_override=";
	char buf[4096], *save = NULL, *found = NULL;
	if (nb_read_file("/proc/cmdline", buf, sizeof(buf)))
		return json_null();
	for (char *t = strtok_r(buf, " \t", &save); t; t = strtok_r(NULL, " \t", &save))
		if (!strncmp(t, key, sizeof(key) - 1))
			found = t + sizeof(key) - 1;
	return found ? json_string(found) : json_null();
}

static enum nb_status cells_json(struct gup *g)
{
	json_t *cells = json_array();
	enum nb_status worst = NB_SKIPPED;
	int bad = 0, ran = 0;
	for (int i = 0; i < g->ncells; i++) {
		struct cell *c = &g->cells[i];
		c->status = cell_status(g, c, c->why, sizeof(c->why));
	}
	for (int i = 0; i < g->ncells; i++) {
		const struct cell *c = &g->cells[i];
		json_array_append_new(cells, cell_json(g, c));
		if (c->status == NB_SKIPPED)
			continue;
		ran++;
		worst = worst == NB_SKIPPED || c->status > worst ? c->status : worst;
		bad += c->status != NB_OK;
	}
	json_object_set_new(g->run, "cells", cells);
	if (!ran)
		nb_run_reason(g->run, "no cell can run here (see cells[].reason)");
	else if (bad)
		nb_run_reason(g->run, "%d of %d cells untrustworthy or failed (see cells[].reason)",
			      bad, ran);
	return worst;
}

static void run_facts(struct gup *g)
{
	json_t *r = g->run;
	const struct nb_caps *caps = g->ctx->caps;
	json_object_set_new(r, "proc_mem_force_override", force_override_json());
	json_object_set_new(r, "caps_proc_mem_force",
			    caps->proc_mem_force < 0 ? json_null()
						     : json_boolean(caps->proc_mem_force));
	json_object_set_new(r, "force_effects", force_effects_json(g));
	json_object_set_new(r, "target_node", json_integer(g->node_a));
	json_object_set_new(r, "reader_node", node_json(g->node_b));
	json_object_set_new(r, "numa_balancing_at_start", json_integer(g->bal_start));
	json_object_set_new(r, "repeat", json_integer(g->repeat));
	json_object_set_new(
	    r, "method",
	    json_string("fresh 2-thread target per pass, pinned to the target node, buffer "
			"first-touched there; balancing set before it starts; pass after the "
			"scanner marked the buffer, target frozen; reader pinned to the reader "
			"node; null pass and positive control in every run (see "
			"tests/guest/GUP-PROTOCOL.md)"));
}

static enum nb_status results(struct gup *g)
{
	int faulting, total;
	enum nb_status st = cells_json(g);
	json_object_set_new(g->run, "verdicts", verdicts_json(g, &faulting, &total));
	run_facts(g);
	if (total) {
		char h[96];
		snprintf(h, sizeof(h), "%d of %d paths take hinting faults (balancing on)",
			 faulting, total);
		json_object_set_new(g->run, "headline", json_string(h));
	}
	return st;
}

static int gup_init(struct gup *g, struct nb_ctx *ctx, const struct nb_params *p, json_t *run)
{
	const struct nb_tunable *bal = nb_tunable_find("numa_balancing");
	g->ctx = ctx;
	g->run = run;
	g->psz = (size_t)sysconf(_SC_PAGESIZE);
	g->pages = nb_param_u64(p, "size") / g->psz;
	g->repeat = ctx->repeat ? ctx->repeat : (int)nb_param_u64(p, "repeat");
	g->repeat = g->repeat > MAX_REPEAT ? MAX_REPEAT : g->repeat;
	g->mark_timeout_ms = nb_param_u64(p, "mark_timeout_ms");
	g->settle_ms = nb_param_u64(p, "settle_ms");
	g->paths = nb_param(p, "paths");
	g->modes = nb_param(p, "balancing");
	g->pairs = nb_param(p, "pairs");
	g->bal_start = knob_value("numa_balancing");
	g->can_set_bal = ctx->caps->root && bal && nb_tunable_path(bal);
	g->cells = calloc(MAX_CELLS, sizeof(*g->cells));
	return g->cells ? 0 : -1;
}

static void gup_free(struct gup *g)
{
	for (int i = 0; g->cells && i < g->ncells; i++)
		free(g->cells[i].lat);
	free(g->cells);
	free(g->scratch);
	free(g->addrs);
	free(g->ns);
	free(g);
}

static enum nb_status run(struct nb_ctx *ctx, const struct nb_params *p, json_t *run)
{
	struct gup *g = calloc(1, sizeof(*g));
	enum nb_status st = NB_FAILED;
	if (!g || gup_init(g, ctx, p, run)) {
		nb_run_reason(run, "out of memory");
	} else if (pick_nodes(g)) {
		nb_run_reason(run, "no node of this run has both cpus and memory");
		st = NB_SKIPPED;
	} else {
		long delay = knob_value("scan_delay_ms"), period = knob_value("scan_period_min_ms");
		scan_tunables(g, p);
		if (nb_run_pinned(ctx->cpus, ctx->ncpus, orchestrate, g))
			snprintf(g->setup_fail, sizeof(g->setup_fail),
				 "cannot start the reader thread: %s", strerror(errno));
		tunables_back(g, delay, period);
		st = results(g);
	}
	if (g)
		gup_free(g);
	return st;
}

static int validate(const struct nb_ctx *ctx, const struct nb_params *p, char *err, size_t len)
{
	for (int i = 0; i < NB_RP_COUNT; i++) /* "paths" choices index nb_rpaths */
		if (strstr(PATH_NAMES, nb_rpaths[i].name) == NULL)
			abort();
	return nb_ctx_check_mem(ctx, nb_param_u64(p, "size"), "gup.size", err, len);
}

const struct nb_bench nb_bench_gup = {
    .abi = NB_BENCH_ABI,
    .name = "gup",
    .summary = "remote access (process_vm, /proc/PID/mem, ptrace): NUMA hinting faults and "
	       "migration it causes, with and without FOLL_FORCE",
    .params = params,
    .req = NB_REQ_BALANCING,
    .run = run,
    .validate = validate,
};
