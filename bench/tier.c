/* numabench bench `tier`: how accurately and how fast the kernel keeps a known hot set on the
 * fast memory tier (issue 15).
 *
 * A hot set is touched continuously (one load per cache line, `hot_rate` passes per second, 0:
 * as fast as possible) by a thread pinned to a CPU node of the top tier (the fast node); a cold
 * set is touched once, at first touch, and never again. The slow node is the first node of the
 * nearest lower memory tier the kernel shows (/sys/devices/virtual/memory_tiering, recorded in
 * the topology); where there is none the bench is skipped with the kernel's tiers as reason.
 *
 * Scenarios, each a cell with its own status and reason:
 *   promotion  hot and cold sets first-touched on the slow node under MPOL_BIND, then unbound
 *              (MPOL_DEFAULT: the scanner skips a VMA whose policy lacks MPOL_F_MOF, as in
 *              bench/balance.c), for each numa_balancing mode; modes 0 and 1 are the controls
 *              (pgpromote_success counts tiering promotions only, it must stay 0 there).
 *   baseline   the hot set hard-bound to the fast node, and to the slow node.
 *   demotion   demotion_enabled=true, numa_balancing=2; the hot set starts on the slow node,
 *              the cold set on the fast node, then a child process bound to the fast node fills
 *              it past its watermarks: reclaim must demote (pgdemote_*), and the per-page
 *              history tells pages promoted and then demoted again (wasted migrations).
 *   sweep      the promotion scenario at mode 2 for each promote_rate_limit_MBps and each
 *              hot_threshold_ms (debugfs; skipped with the reason when absent).
 *
 * Placement is read with move_pages(2) in query mode (nodes == NULL) over an evenly spaced
 * sample of each set's pages: a page-table lookup that never takes a NUMA hinting fault. Every
 * sampled page keeps its history, so "cold page promoted" and "promoted then demoted" are
 * counted per page, not guessed from system-wide counters. Counters are /proc/vmstat deltas;
 * a field the kernel lacks is null, with the reason in `vmstat_missing`.
 *
 * Tunables go through the journaled table (harness/tunables.c): numa_balancing, the scan
 * delay/period (lowered to scan_ms, as balance does), demotion_enabled,
 * promote_rate_limit_MBps and hot_threshold_ms; the bench puts back what it changed.
 */
#include "bench.h"
#include "cells.h"
#include "child.h"
#include "kernels.h"
#include "place.h"
#include "tunables.h"

#include <errno.h>
#include <math.h>
#include <numa.h>
#include <numaif.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define HOME_SHARE 0.90 /* the definition: 90% of the hot set on the fast tier */
#define MAX_SAMPLE_PAGES 4096
#define MAX_TIMELINE 2000
#define SEC 1000000000ull
#define FILL_TIMEOUT_NS (240 * SEC)

static const struct nb_param_def params[] = {
    {"hot_size", NB_P_SIZE, "bytes", "16M", 1 << 16, 64.0 * (1ull << 30), NULL,
     "hot set, touched continuously"},
    {"cold_size", NB_P_SIZE, "bytes", "32M", 1 << 16, 64.0 * (1ull << 30), NULL,
     "cold set, touched once (first touch)"},
    {"hot_rate", NB_P_INT, "passes/s", "0", 0, 100000, NULL,
     "passes over the hot set per second (one load per cache line); 0: as fast as possible"},
    {"duration_s", NB_P_INT, "s", "8", 1, 3600, NULL, "length of each trial"},
    {"interval_ms", NB_P_INT, "ms", "200", 10, 60000, NULL, "sampling interval of the timeline"},
    {"modes", NB_P_ENUMS, "", "0,1,2,3", 0, 0, "0|1|2|3",
     "kernel.numa_balancing modes of the promotion scenario (0 and 1 are controls)"},
    {"scenarios", NB_P_ENUMS, "", "promotion,baseline,demotion,sweep", 0, 0,
     "promotion|baseline|demotion|sweep", "what to run"},
    {"rate_limits_MBps", NB_P_SIZES, "MB/s", "1,65536", 0, 0, NULL,
     "promote_rate_limit_MBps values of the sweep (plain numbers)"},
    {"hot_thresholds_ms", NB_P_SIZES, "ms", "10,1000", 0, 0, NULL,
     "hot_threshold_ms values of the sweep (plain numbers; needs debugfs)"},
    {"fill_margin", NB_P_SIZE, "bytes", "32M", 0, 64.0 * (1ull << 30), NULL,
     "demotion: the filler takes the fast node's free memory plus this much"},
    {"scan_ms", NB_P_INT, "ms", "100", 0, 3600000, NULL,
     "scan_delay_ms and scan_period_min_ms during the bench, journaled (0: leave them)"},
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL},
};

enum { SC_PROMOTION, SC_BASELINE, SC_DEMOTION, SC_SWEEP };

/* ---- vmstat fields of tiering (read here: harness/sampler.h lacks pgdemote_khugepaged) -- */

static const char *const vm_names[] = {
    "pgpromote_success",   "pgpromote_candidate", "pgdemote_kswapd",  "pgdemote_direct",
    "pgdemote_khugepaged", "numa_pages_migrated", "numa_hint_faults", "numa_pte_updates",
    "pgmigrate_success",   "pgmigrate_fail"};
enum {
	VM_PROMOTE,
	VM_CANDIDATE,
	VM_DEM_KSWAPD,
	VM_DEM_DIRECT,
	VM_DEM_KHUGEPAGED,
	VM_NUMA_MIGRATED,
	VM_HINT,
	VM_PTE,
	VM_MIG_OK,
	VM_MIG_FAIL,
	VM_N
};

struct vm {
	int64_t v[VM_N]; /* -1 absent */
};

static void vm_read(struct vm *s)
{
	char path[256], name[64];
	long long val;
	for (int i = 0; i < VM_N; i++)
		s->v[i] = -1;
	snprintf(path, sizeof(path), "%s/proc/vmstat", nb_fsroot());
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	while (fscanf(f, "%63s %lld", name, &val) == 2)
		for (int i = 0; i < VM_N; i++)
			if (!strcmp(name, vm_names[i]))
				s->v[i] = val;
	fclose(f);
}

static int64_t vm_delta(const struct vm *a, const struct vm *b, int i)
{
	return a->v[i] < 0 || b->v[i] < 0 ? -1 : b->v[i] - a->v[i];
}

static json_t *jint(int64_t v)
{
	return v < 0 ? json_null() : json_integer((json_int_t)v);
}

static json_t *jreal(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static json_t *vm_json(const struct vm *a, const struct vm *b, json_t **missing)
{
	json_t *o = json_object();
	for (int i = 0; i < VM_N; i++) {
		int64_t d = vm_delta(a, b, i);
		json_object_set_new(o, vm_names[i], jint(d));
		if (d < 0 && missing) {
			if (!*missing)
				*missing = json_object();
			json_object_set_new(*missing, vm_names[i],
					    json_string("absent from /proc/vmstat on this kernel"));
		}
	}
	return o;
}

/* ---- the workload: a fresh child process per trial -------------------------------------
 * A fresh process (a fresh mm) per trial: NUMA scanning state lives in the mm (numa_scan_seq,
 * and on 6.12 the per-VMA scan skipping that after two scan sequences scans only VMAs the task
 * faulted on). In one process reused across trials, the fourth trial of a first version of this
 * bench took 11 hinting faults in 6 s in a 6.12 guest, where the same trial alone took 2048. */

struct wl {
	_Atomic int state; /* 0 setting up, 1 ready, 2 failed */
	_Atomic int stop;
	_Atomic uint64_t bytes; /* hot-set bytes read so far */
	uintptr_t hot, cold;	/* the sets, in the child */
	size_t hot_len, cold_len;
	int hot_node, cold_node, keep;
	uint64_t rate;
	int cpus[NB_MAX_CPUS], ncpus;
	char msg[160];
};

static long policy(void *p, size_t len, int mode, int node);
static char *place_set(size_t len, int node, bool keep);

static int wl_fail(struct wl *w, const char *what)
{
	snprintf(w->msg, sizeof(w->msg), "%s: %s", what, strerror(errno));
	atomic_store(&w->state, 2);
	return 1;
}

static int wl_main(void *v)
{
	struct wl *w = v;
	signal(SIGTERM, SIG_DFL); /* the parent's handler restores tunables: not ours to run */
	if (nb_pin_self(w->cpus, w->ncpus))
		return wl_fail(w, "pinning to the fast node");
	char *hp = place_set(w->hot_len, w->hot_node, w->keep);
	if (!hp)
		return wl_fail(w, "placing the hot set");
	char *cp = place_set(w->cold_len, w->cold_node, w->keep);
	if (!cp)
		return wl_fail(w, "placing the cold set");
	w->hot = (uintptr_t)hp;
	w->cold = (uintptr_t)cp;
	atomic_store(&w->state, 1);
	uint64_t pass_ns = w->rate ? SEC / w->rate : 0, sink = 0;
	while (!atomic_load(&w->stop)) {
		uint64_t t0 = nb_now_ns();
		for (size_t i = 0; i < w->hot_len; i += NB_LINE)
			sink += *(volatile uint64_t *)(hp + i);
		atomic_fetch_add(&w->bytes, w->hot_len);
		if (pass_ns) {
			uint64_t el = nb_now_ns() - t0;
			if (el < pass_ns)
				usleep((useconds_t)((pass_ns - el) / 1000));
		}
	}
	return (int)(sink & 0);
}

static bool child_gone(pid_t pid)
{
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT))
		return errno == ECHILD;
	return si.si_pid == pid;
}

/* ---- placement of a set, page by page ---------------------------------------------------- */

struct set {
	char *p;
	size_t len;
	int npages; /* sampled */
	void *addr[MAX_SAMPLE_PAGES];
	int status[MAX_SAMPLE_PAGES];
	int first[MAX_SAMPLE_PAGES]; /* node at the first sample */
	unsigned char
	    was_fast[MAX_SAMPLE_PAGES]; /* 1 once seen on the fast tier after the slow one */
	unsigned char wasted[MAX_SAMPLE_PAGES]; /* promoted, then back on a lower tier */
	uint64_t total_pages;
};

struct tier {
	struct nb_ctx *ctx;
	int fast, slow, fast_tier, slow_tier;
	bool in_fast[NB_MAX_NODES];
	int mem[NB_MAX_NODES], nmem;
	int cpus[NB_MAX_CPUS], ncpus;
	size_t hot_size, cold_size;
	uint64_t hot_rate, fill_margin, scan_ms;
	double interval;
	int nsamples;
	const struct nb_tunable *knob;
	char knob_before[64];
};

static void set_init(struct set *s, char *p, size_t len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	s->p = p;
	s->len = len;
	s->total_pages = len / page;
	s->npages = s->total_pages < MAX_SAMPLE_PAGES ? (int)s->total_pages : MAX_SAMPLE_PAGES;
	for (int i = 0; i < s->npages; i++) {
		s->addr[i] = p + (size_t)((double)i * (double)s->total_pages / s->npages) * page;
		s->first[i] = -1;
		s->was_fast[i] = s->wasted[i] = 0;
	}
}

/* Query; per_node[node] += pages, returns the pages on the fast tier (sampled), -1 on error. */
static int set_query(const struct tier *t, pid_t pid, struct set *s, int per_node[NB_MAX_NODES],
		     int *present)
{
	if (move_pages(pid, (unsigned long)s->npages, s->addr, NULL, s->status, 0))
		return -1;
	int fast = 0;
	*present = 0;
	for (int i = 0; i < s->npages; i++) {
		int n = s->status[i];
		if (n < 0 || n >= NB_MAX_NODES)
			continue;
		(*present)++;
		per_node[n]++;
		if (s->first[i] < 0)
			s->first[i] = n;
		if (t->in_fast[n]) {
			fast++;
			if (!t->in_fast[s->first[i]])
				s->was_fast[i] = 1;
		} else if (s->was_fast[i]) {
			s->wasted[i] = 1;
		}
	}
	return fast;
}

static json_t *nodes_json(const struct tier *t, const int per_node[NB_MAX_NODES])
{
	json_t *o = json_object();
	for (int i = 0; i < t->nmem; i++) {
		char k[16];
		snprintf(k, sizeof(k), "%d", t->mem[i]);
		json_object_set_new(o, k, json_integer(per_node[t->mem[i]]));
	}
	return o;
}

/* ---- the filler of the demotion scenario (a child: the OOM killer would pick it) --------- */

struct fill_ctl {
	_Atomic int state; /* 0 filling, 1 done, 2 failed */
	_Atomic uint64_t touched;
	char msg[160];
};

struct fill_arg {
	struct fill_ctl *ctl;
	size_t len;
	int node;
};

static int fill_main(void *v)
{
	struct fill_arg *a = v;
	unsigned long mask[NB_MAX_NODES / (8 * sizeof(unsigned long)) + 1] = {0};
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	signal(SIGTERM, SIG_DFL);
	char *p = mmap(NULL, a->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	mask[a->node / (8 * sizeof(long))] |= 1ul << (a->node % (8 * sizeof(long)));
	if (p == MAP_FAILED || madvise(p, a->len, MADV_NOHUGEPAGE) ||
	    mbind(p, a->len, MPOL_BIND, mask, NB_MAX_NODES + 1, 0)) {
		snprintf(a->ctl->msg, sizeof(a->ctl->msg), "filler mmap/mbind: %s",
			 strerror(errno));
		atomic_store(&a->ctl->state, 2);
		return 1;
	}
	/* The kernel populates (MADV_POPULATE_WRITE, 5.14+) in 8 MiB steps: under QEMU TCG a
	 * user-space first touch filled 16 MB/s, too slow to fill a node in a trial. */
	for (size_t i = 0; i < a->len; i += 8u << 20) {
		size_t n = a->len - i < (8u << 20) ? a->len - i : 8u << 20;
		if (madvise(p + i, n, 23 /* MADV_POPULATE_WRITE */))
			for (size_t k = 0; k < n; k += page)
				p[i + k] = 1;
		atomic_store(&a->ctl->touched, i + n);
	}
	atomic_store(&a->ctl->touched, a->len);
	atomic_store(&a->ctl->state, 1);
	for (;;)
		pause();
	return 0;
}

/* ---- one trial ----------------------------------------------------------------------------- */

struct trial {
	int scenario, mode;
	const char *bound; /* baseline: "fast" / "slow", else NULL */
	bool demote;
	char label[64];
};

static long policy(void *p, size_t len, int mode, int node)
{
	unsigned long mask[NB_MAX_NODES / (8 * sizeof(unsigned long)) + 1] = {0};
	if (node < 0)
		return mbind(p, len, mode, NULL, 0, 0);
	mask[node / (8 * sizeof(long))] |= 1ul << (node % (8 * sizeof(long)));
	return mbind(p, len, mode, mask, NB_MAX_NODES + 1, 0);
}

/* Map, bind to node, first-touch, and unbind unless keep. NULL with errno. */
static char *place_set(size_t len, int node, bool keep)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	if (madvise(p, len, MADV_NOHUGEPAGE) || policy(p, len, MPOL_BIND, node)) {
		int e = errno;
		munmap(p, len);
		errno = e;
		return NULL;
	}
	nb_touch_pages(p, len, (size_t)sysconf(_SC_PAGESIZE));
	if (!keep && policy(p, len, MPOL_DEFAULT, -1)) {
		int e = errno;
		munmap(p, len);
		errno = e;
		return NULL;
	}
	return p;
}

static int set_knob(const char *name, const char *value, char *err, size_t len)
{
	const struct nb_tunable *k = nb_tunable_find(name);
	return k ? nb_tunable_set(k, value, err, len) : -1;
}

static int count(const unsigned char *v, int n)
{
	int c = 0;
	for (int i = 0; i < n; i++)
		c += v[i];
	return c;
}

static double scale(int sampled, const struct set *s)
{
	return s->npages ? (double)sampled * (double)s->total_pages / s->npages : 0;
}

static enum nb_status run_trial(struct tier *t, const struct trial *tr, json_t *cell)
{
	static struct set hot, cold;
	char err[256], v[32];
	bool baseline = tr->bound != NULL;
	int hot_node = baseline && !strcmp(tr->bound, "fast") ? t->fast : t->slow;
	int cold_node = tr->demote ? t->fast : t->slow;
	snprintf(v, sizeof(v), "%d", tr->mode);
	if (nb_tunable_set(t->knob, v, err, sizeof(err))) {
		nb_run_reason(cell, "%s", err);
		return strstr(err, "cannot write") ? NB_SKIPPED : NB_FAILED;
	}
	if (tr->demote && set_knob("demotion_enabled", "true", err, sizeof(err))) {
		nb_run_reason(cell, "demotion_enabled: %s", err);
		return NB_SKIPPED;
	}
	struct wl *w =
	    mmap(NULL, sizeof(*w), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (w == MAP_FAILED) {
		nb_run_reason(cell, "mmap: %s", strerror(errno));
		return NB_FAILED;
	}
	memset(w, 0, sizeof(*w));
	*w = (struct wl){.hot_len = t->hot_size,
			 .cold_len = t->cold_size,
			 .hot_node = hot_node,
			 .cold_node = cold_node,
			 .keep = baseline,
			 .rate = t->hot_rate,
			 .ncpus = t->ncpus};
	memcpy(w->cpus, t->cpus, sizeof(int) * (size_t)t->ncpus);
	pid_t pid = nb_child_spawn(wl_main, w);
	uint64_t ready_end = nb_now_ns() + 300 * SEC;
	while (pid > 0 && atomic_load(&w->state) == 0 && !child_gone(pid) && !nb_interrupted &&
	       nb_now_ns() < ready_end)
		usleep(2000);
	if (pid < 0 || atomic_load(&w->state) != 1) {
		nb_run_reason(cell, "workload setup failed: %s",
			      pid < 0			    ? strerror(errno)
			      : atomic_load(&w->state) == 2 ? w->msg
							    : "the process exited, hung or was "
							      "interrupted before it was ready");
		if (pid > 0)
			nb_child_kill(pid);
		munmap(w, sizeof(*w));
		return NB_FAILED;
	}
	char *hp = (char *)w->hot, *cp = (char *)w->cold;
	set_init(&hot, hp, t->hot_size);
	set_init(&cold, cp, t->cold_size);
	json_object_set_new(cell, "hot_node_start", json_integer(hot_node));
	json_object_set_new(cell, "cold_node_start", json_integer(cold_node));
	json_object_set_new(cell, "hot_pages", json_integer((json_int_t)hot.total_pages));
	json_object_set_new(cell, "cold_pages", json_integer((json_int_t)cold.total_pages));
	json_object_set_new(cell, "sampled_pages",
			    json_pack("{s:i,s:i}", "hot", hot.npages, "cold", cold.npages));

	/* the filler (demotion): sized from the fast node's free memory once the sets are placed */
	struct fill_ctl *fc = NULL;
	pid_t fpid = -1;
	uint64_t fill_len = 0, fill_done_ns = 0;
	json_t *filler = NULL;
	if (tr->demote) {
		fc = mmap(NULL, sizeof(*fc), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
			  0);
		fill_len = nb_node_free_bytes(t->fast) + t->fill_margin;
		filler = json_pack("{s:I,s:I}", "free_before_bytes",
				   (json_int_t)nb_node_free_bytes(t->fast), "size_bytes",
				   (json_int_t)fill_len);
	}

	struct vm v0, vs, vlast;
	vm_read(&v0);
	enum nb_status st = NB_OK;
	uint64_t t0 = nb_now_ns();
	json_t *tl = json_array();
	double home = NAN, acc = NAN, hot_share = 0;
	int qerr = 0;
	uint64_t bytes_home = 0;
	/* the demotion trial goes on until the filler is done (or gone), then a full duration */
	uint64_t dur_ns = (uint64_t)((double)t->nsamples * t->interval * 1e9);
	for (int i = 0; !nb_interrupted; i++) {
		uint64_t now = nb_now_ns() - t0;
		bool filling = tr->demote && fc && fc != MAP_FAILED && fpid > 0 && !fill_done_ns &&
			       !child_gone(fpid) && now < FILL_TIMEOUT_NS;
		uint64_t end = tr->demote && fill_done_ns ? fill_done_ns + dur_ns : dur_ns;
		if (i > 0 && now >= end && !filling)
			break;
		uint64_t due = t0 + (uint64_t)((double)i * t->interval * 1e9);
		while (nb_now_ns() < due && !nb_interrupted)
			usleep(2000);
		if (tr->demote && i == 1 && fc != MAP_FAILED && fc) {
			static struct fill_arg fa;
			fa = (struct fill_arg){.ctl = fc, .len = fill_len, .node = t->fast};
			fpid = nb_child_spawn(fill_main, &fa);
		}
		double ts = (double)(nb_now_ns() - t0) / 1e9;
		int hn[NB_MAX_NODES] = {0}, cn[NB_MAX_NODES] = {0}, hpres = 0, cpres = 0;
		int hf = set_query(t, pid, &hot, hn, &hpres),
		    cf = set_query(t, pid, &cold, cn, &cpres);
		if (hf < 0 || cf < 0) {
			qerr = errno;
			break;
		}
		vm_read(&vs);
		vlast = vs;
		hot_share = hpres ? (double)hf / hpres : 0;
		if (isnan(home) && hot_share >= HOME_SHARE) {
			home = ts;
			bytes_home = atomic_load(&w->bytes);
		}
		json_t *s = json_pack("{s:f,s:o,s:o,s:f,s:f}", "t_s", ts, "hot", nodes_json(t, hn),
				      "cold", nodes_json(t, cn), "hot_fast_share", hot_share,
				      "cold_fast_share", cpres ? (double)cf / cpres : 0.0);
		json_object_set_new(s, "pgpromote_success", jint(vm_delta(&v0, &vs, VM_PROMOTE)));
		json_object_set_new(s, "pgpromote_candidate",
				    jint(vm_delta(&v0, &vs, VM_CANDIDATE)));
		int64_t dk = vm_delta(&v0, &vs, VM_DEM_KSWAPD),
			dd = vm_delta(&v0, &vs, VM_DEM_DIRECT);
		json_object_set_new(s, "pgdemote", jint(dk < 0 || dd < 0 ? -1 : dk + dd));
		json_object_set_new(s, "numa_pages_migrated",
				    jint(vm_delta(&v0, &vs, VM_NUMA_MIGRATED)));
		if (fc && fc != MAP_FAILED)
			json_object_set_new(s, "filler_bytes",
					    json_integer((json_int_t)atomic_load(&fc->touched)));
		if (json_array_size(tl) < MAX_TIMELINE)
			json_array_append_new(tl, s);
		else
			json_decref(s);
		if (fc && fc != MAP_FAILED && !fill_done_ns && atomic_load(&fc->state) == 1)
			fill_done_ns = nb_now_ns() - t0;
	}
	double elapsed = (double)(nb_now_ns() - t0) / 1e9;
	uint64_t bytes = atomic_load(&w->bytes);
	bool died = child_gone(pid);
	atomic_store(&w->stop, 1);
	uint64_t stop_end = nb_now_ns() + 20 * SEC;
	while (!child_gone(pid) && nb_now_ns() < stop_end)
		usleep(2000);
	if (child_gone(pid))
		nb_child_wait(pid);
	else
		nb_child_kill(pid);
	munmap(w, sizeof(*w));
	if (died) {
		nb_run_reason(cell, "the workload process died during the trial (the OOM killer?)");
		st = NB_FAILED;
	}
	acc = hot_share;

	/* the filler: what happened to it */
	if (tr->demote) {
		if (!fc || fc == MAP_FAILED || fpid < 0) {
			json_object_set_new(filler, "error",
					    json_string("could not start the filler"));
			st = NB_FAILED;
			nb_run_reason(cell, "could not start the filler process");
		} else {
			int fs = atomic_load(&fc->state);
			json_object_set_new(filler, "touched_bytes",
					    json_integer((json_int_t)atomic_load(&fc->touched)));
			json_object_set_new(filler, "completed", json_boolean(fs == 1));
			json_object_set_new(filler, "completed_s",
					    fill_done_ns ? json_real((double)fill_done_ns / 1e9)
							 : json_null());
			if (fs == 2)
				json_object_set_new(filler, "error", json_string(fc->msg));
			/* a filler gone before the end was killed (the OOM killer: reclaim could
			 * not make room on the fast node) */
			siginfo_t si;
			memset(&si, 0, sizeof(si));
			bool gone =
			    waitid(P_PID, (id_t)fpid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
			    si.si_pid == fpid;
			json_object_set_new(filler, "died_before_end", json_boolean(gone));
			nb_child_kill(fpid);
		}
		if (fc && fc != MAP_FAILED)
			munmap(fc, sizeof(*fc));
		json_object_set_new(cell, "filler", filler);
	}

	json_t *missing = NULL;
	json_object_set_new(cell, "vmstat", vm_json(&v0, &vlast, &missing));
	if (missing)
		json_object_set_new(cell, "vmstat_missing", missing);
	json_object_set_new(cell, "timeline", tl);
	int hot_wasted = count(hot.wasted, hot.npages),
	    cold_wasted = count(cold.wasted, cold.npages);
	int cold_promoted = count(cold.was_fast, cold.npages);
	int hot_promoted = count(hot.was_fast, hot.npages);
	json_object_set_new(cell, "hot_promoted_pages", json_real(scale(hot_promoted, &hot)));
	json_object_set_new(cell, "cold_promoted_pages", json_real(scale(cold_promoted, &cold)));
	json_object_set_new(cell, "cold_promoted_share",
			    json_real(cold.npages ? (double)cold_promoted / cold.npages : 0));
	json_object_set_new(cell, "promoted_then_demoted_pages",
			    json_real(scale(hot_wasted, &hot) + scale(cold_wasted, &cold)));
	json_object_set_new(cell, "home", json_boolean(isfinite(home)));
	json_object_set_new(cell, "time_to_home_s", jreal(home));
	json_object_set_new(cell, "accuracy", jreal(acc));
	double thr = elapsed > 0 ? (double)bytes / elapsed / 1e6 : NAN;
	double thr_home = isfinite(home) && elapsed > home
			      ? (double)(bytes - bytes_home) / (elapsed - home) / 1e6
			      : NAN;
	json_t *m = json_object();
	json_object_set_new(m, "accuracy", nb_metric("ratio", "higher", &acc, 1));
	if (isfinite(home))
		json_object_set_new(m, "time_to_home_s", nb_metric("s", "lower", &home, 1));
	if (isfinite(thr))
		json_object_set_new(m, "hot_MBps", nb_metric("MB/s", "higher", &thr, 1));
	if (isfinite(thr_home))
		json_object_set_new(m, "hot_MBps_after_home",
				    nb_metric("MB/s", "higher", &thr_home, 1));
	int64_t prom = vm_delta(&v0, &vlast, VM_PROMOTE);
	if (prom >= 0 && elapsed > 0) {
		double mbps = (double)prom * (double)sysconf(_SC_PAGESIZE) / 1e6 /
			      (isfinite(home) ? home : elapsed);
		json_object_set_new(m, "promote_MBps", nb_metric("MB/s", "higher", &mbps, 1));
	}
	json_object_set_new(cell, "metrics", m);
	if (qerr) {
		nb_run_reason(cell, "move_pages query failed: %s", strerror(qerr));
		return NB_FAILED;
	}
	if (nb_interrupted) {
		nb_run_reason(cell, "interrupted");
		return NB_FAILED;
	}
	if (st != NB_OK)
		return st;
	(void)hp;
	(void)cp;
	/* the status follows placement and counters, never an (emulated) timing */
	int64_t dem = vm_delta(&v0, &vlast, VM_DEM_KSWAPD),
		demd = vm_delta(&v0, &vlast, VM_DEM_DIRECT);
	if (baseline) {
		double want = !strcmp(tr->bound, "fast") ? 1.0 : 0.0;
		if (fabs(acc - want) > 1 - NB_PLACE_MIN_SHARE) {
			nb_run_reason(cell,
				      "hot set bound to the %s node, but %.1f%% on the fast tier",
				      tr->bound, 100 * acc);
			return NB_UNTRUSTWORTHY;
		}
	} else if (tr->demote) {
		if (dem < 0 && demd < 0) {
			nb_run_reason(cell, "pgdemote_kswapd/direct are absent from /proc/vmstat");
			return NB_UNTRUSTWORTHY;
		}
		if ((dem < 0 ? 0 : dem) + (demd < 0 ? 0 : demd) == 0) {
			nb_run_reason(
			    cell,
			    "no page demoted although the filler took the fast node's free "
			    "memory plus %llu bytes",
			    (unsigned long long)t->fill_margin);
			return NB_UNTRUSTWORTHY;
		}
	} else if (tr->mode == 0 || tr->mode == 1) {
		if (prom > 0) {
			nb_run_reason(cell, "control (numa_balancing=%d) promoted %lld pages",
				      tr->mode, (long long)prom);
			return NB_UNTRUSTWORTHY;
		}
	} else if (prom < 0) {
		nb_run_reason(cell, "pgpromote_success is absent from /proc/vmstat: promotions are "
				    "known only from the placement");
		return hot_promoted ? NB_OK : NB_UNTRUSTWORTHY;
	} else if (prom == 0 && tr->scenario == SC_PROMOTION) {
		nb_run_reason(cell, "numa_balancing=%d promoted no page in %.1f s", tr->mode,
			      elapsed);
		return NB_UNTRUSTWORTHY;
	}
	return NB_OK;
}

/* ---- plan and run --------------------------------------------------------------------------- */

static char probe_why[256];

static int pick(const struct nb_ctx *ctx, struct tier *t, char *why, size_t len)
{
	const struct nb_tiering *tg = &ctx->topo->tiering;
	int cn[NB_MAX_NODES], ncn = nb_ctx_cpu_nodes(ctx, cn);
	t->nmem = nb_ctx_mem_nodes(ctx, t->mem);
	t->fast = t->slow = -1;
	/* the fast node: the first cpu node of the run in the top tier that has a lower tier */
	for (int i = 0; i < ncn && t->slow < 0; i++) {
		int ti = nb_tiering_tier_of(tg, cn[i]);
		if (ti != 0 && tg->ntiers)
			continue;
		t->fast = cn[i];
		t->slow = nb_tiering_lower_node(tg, cn[i], t->mem, t->nmem, why, len);
	}
	if (t->fast < 0 && ncn) {
		t->fast = cn[0];
		nb_tiering_lower_node(tg, cn[0], t->mem, t->nmem, why, len);
	}
	if (t->slow < 0) {
		if (!ncn)
			snprintf(why, len, "no node with cpus in this run");
		return -1;
	}
	t->fast_tier = nb_tiering_tier_of(tg, t->fast);
	t->slow_tier = nb_tiering_tier_of(tg, t->slow);
	memset(t->in_fast, 0, sizeof(t->in_fast));
	for (int k = 0; k < tg->tiers[t->fast_tier].nnodes; k++)
		t->in_fast[tg->tiers[t->fast_tier].nodes[k]] = true;
	return 0;
}

static const char *probe(const struct nb_ctx *ctx)
{
	struct tier t;
	memset(&t, 0, sizeof(t));
	t.ctx = (struct nb_ctx *)ctx;
	if (ctx->caps->numa_balancing < 0)
		return "the kernel has no automatic NUMA balancing (kernel.numa_balancing absent)";
	if (pick(ctx, &t, probe_why, sizeof(probe_why)))
		return probe_why;
	return NULL;
}

static void scan_lower(struct tier *t, json_t *knobs)
{
	static const char *const names[] = {"scan_delay_ms", "scan_period_min_ms"};
	char v[32], before[64], err[256];
	snprintf(v, sizeof(v), "%llu", (unsigned long long)t->scan_ms);
	for (int i = 0; i < 2; i++) {
		const struct nb_tunable *k = nb_tunable_find(names[i]);
		json_t *o = json_object();
		json_object_set_new(knobs, names[i], o);
		if (nb_tunable_get(k, before, sizeof(before))) {
			json_object_set_new(
			    o, "error", json_string("absent (debugfs not mounted?): not lowered"));
			continue;
		}
		json_object_set_new(o, "before", json_string(before));
		if (t->scan_ms && nb_tunable_set(k, v, err, sizeof(err)))
			json_object_set_new(o, "error", json_string(err));
		else if (t->scan_ms)
			json_object_set_new(o, "set", json_string(v));
	}
}

/* Put back what the bench changed (the journal keeps the originals for the runner). */
static void knobs_restore(json_t *knobs)
{
	const char *key;
	json_t *o;
	char err[256];
	json_object_foreach(knobs, key, o)
	{
		const char *before = json_string_value(json_object_get(o, "before"));
		const struct nb_tunable *k = nb_tunable_find(key);
		char now[64];
		if (!before || !k || nb_tunable_get(k, now, sizeof(now)))
			continue;
		bool ok = !strcmp(now, before) || !nb_tunable_set(k, before, err, sizeof(err));
		json_object_set_new(o, "restored", json_boolean(ok));
	}
}

static void remember(json_t *knobs, const char *name)
{
	char before[64];
	const struct nb_tunable *k = nb_tunable_find(name);
	if (json_object_get(knobs, name))
		return;
	json_object_set_new(knobs, name,
			    k && !nb_tunable_get(k, before, sizeof(before))
				? json_pack("{s:s}", "before", before)
				: json_pack("{s:s}", "error", "absent on this kernel"));
}

static json_t *new_cell(const struct trial *tr)
{
	static const char *const sc[] = {"promotion", "baseline", "demotion", "sweep"};
	json_t *c = json_pack("{s:s,s:i}", "scenario", sc[tr->scenario], "balancing", tr->mode);
	if (tr->bound)
		json_object_set_new(c, "bound", json_string(tr->bound));
	return c;
}

static void do_trial(struct tier *t, struct nb_cells *cl, const struct trial *tr, json_t *cell)
{
	nb_progress("tier: %s", tr->label);
	enum nb_status st = run_trial(t, tr, cell);
	json_object_set_new(cell, "label", json_string(tr->label));
	nb_cells_add(cl, cell, st);
}

static double cell_num(json_t *c, const char *k)
{
	json_t *v = json_object_get(c, k);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

/* Scores of each promotion cell against the two baselines. */
static void scores(json_t *run)
{
	json_t *cells = json_object_get(run, "cells"), *c, *fast = NULL, *slow = NULL;
	size_t i;
	json_array_foreach(cells, i, c)
	{
		const char *b = json_string_value(json_object_get(c, "bound"));
		if (b && !strcmp(b, "fast"))
			fast = c;
		if (b && !strcmp(b, "slow"))
			slow = c;
	}
	json_t *out = json_array();
	json_array_foreach(cells, i, c)
	{
		const char *sc = json_string_value(json_object_get(c, "scenario"));
		if (strcmp(sc, "promotion") && strcmp(sc, "demotion"))
			continue;
		json_t *s = json_pack("{s:s,s:O,s:O,s:O,s:O}", "scenario", sc, "balancing",
				      json_object_get(c, "balancing"), "accuracy",
				      json_object_get(c, "accuracy"), "time_to_home_s",
				      json_object_get(c, "time_to_home_s"), "status",
				      json_object_get(c, "status"));
		double prom = cell_num(json_object_get(c, "vmstat"), "pgpromote_success");
		double wasted = cell_num(c, "promoted_then_demoted_pages");
		double cold = cell_num(c, "cold_promoted_pages");
		json_object_set_new(
		    s, "wasted_migrations",
		    jreal((isfinite(wasted) ? wasted : 0) + (isfinite(cold) ? cold : 0)));
		json_object_set_new(s, "pgpromote_success", jreal(prom));
		double thr = NAN, tf = NAN, ts = NAN;
		json_t *mm = json_object_get(c, "metrics");
		thr = cell_num(json_object_get(mm, "hot_MBps"), "median");
		if (fast && slow) {
			double af = cell_num(fast, "accuracy"), as = cell_num(slow, "accuracy");
			double a = cell_num(c, "accuracy");
			json_object_set_new(s, "accuracy_vs_baselines",
					    jreal(af - as > 0 ? (a - as) / (af - as) : NAN));
			tf = cell_num(json_object_get(json_object_get(fast, "metrics"), "hot_MBps"),
				      "median");
			ts = cell_num(json_object_get(json_object_get(slow, "metrics"), "hot_MBps"),
				      "median");
			json_t *tv = jreal(tf - ts != 0 ? (thr - ts) / (tf - ts) : NAN);
			json_object_set_new(s, "throughput_vs_baselines", tv);
			if (nb_timing_emulated)
				json_object_set_new(s, "throughput_emulated", json_true());
		}
		json_array_append_new(out, s);
	}
	json_object_set_new(run, "scores", out);
}

static void headline(json_t *run, const struct tier *t)
{
	json_t *c;
	size_t i;
	char buf[512];
	int n =
	    snprintf(buf, sizeof(buf), "hot set slow node %d -> fast node %d:", t->slow, t->fast);
	json_array_foreach(json_object_get(run, "cells"), i, c)
	{
		const char *sc = json_string_value(json_object_get(c, "scenario"));
		if (strcmp(sc, "promotion") || n >= (int)sizeof(buf) - 80)
			continue;
		double a = cell_num(c, "accuracy"), h = cell_num(c, "time_to_home_s");
		char hs[32] = "never";
		if (isfinite(h))
			snprintf(hs, sizeof(hs), "%.1f s%s", h, nb_timing_emulated ? "*" : "");
		n +=
		    snprintf(buf + n, sizeof(buf) - (size_t)n, " mode %d %.0f%% (home %s);",
			     (int)json_integer_value(json_object_get(c, "balancing")), 100 * a, hs);
	}
	if (nb_timing_emulated && n < (int)sizeof(buf) - 24)
		snprintf(buf + n, sizeof(buf) - (size_t)n, " *emulated");
	json_object_set_new(run, "headline", json_string(buf));
}

static enum nb_status run(struct nb_ctx *ctx, const struct nb_params *p, json_t *run)
{
	static struct tier t;
	char why[256];
	memset(&t, 0, sizeof(t));
	t.ctx = ctx;
	if (pick(ctx, &t, why, sizeof(why))) {
		nb_run_reason(run, "%s", why);
		return NB_SKIPPED;
	}
	const struct nb_tiering *tg = &ctx->topo->tiering;
	json_object_set_new(run, "tiers",
			    json_pack("{s:i,s:i,s:i,s:i,s:o}", "fast_node", t.fast, "slow_node",
				      t.slow, "fast_tier", tg->tiers[t.fast_tier].id, "slow_tier",
				      tg->tiers[t.slow_tier].id, "memory_tiers",
				      nb_tiering_json(tg)));
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	t.hot_size = (nb_param_u64(p, "hot_size") + page - 1) / page * page;
	t.cold_size = (nb_param_u64(p, "cold_size") + page - 1) / page * page;
	t.hot_rate = nb_param_u64(p, "hot_rate");
	t.fill_margin = nb_param_u64(p, "fill_margin");
	t.scan_ms = nb_param_u64(p, "scan_ms");
	t.interval = (double)nb_param_u64(p, "interval_ms") / 1000.0;
	t.nsamples = (int)(nb_param_u64(p, "duration_s") * 1000 / nb_param_u64(p, "interval_ms"));
	t.ncpus = nb_ctx_node_cpus(ctx, t.fast, t.cpus);
	t.knob = nb_tunable_find("numa_balancing");
	if (nb_pin_self(t.cpus, t.ncpus)) {
		nb_run_reason(run, "pinning to the fast node %d: %s", t.fast, strerror(errno));
		return NB_FAILED;
	}
	const struct nb_param_val *sc = nb_param(p, "scenarios"), *modes = nb_param(p, "modes");
	bool want[4] = {false};
	for (int i = 0; i < sc->nlist; i++)
		want[sc->list[i]] = true;
	json_t *knobs = json_object();
	json_object_set_new(run, "tunables_bench", knobs);
	remember(knobs, "numa_balancing");
	scan_lower(&t, knobs);
	struct nb_cells cl;
	nb_cells_init(&cl, run);
	struct trial tr;
	if (want[SC_PROMOTION])
		for (int i = 0; i < modes->nlist && !nb_interrupted; i++) {
			tr = (struct trial){.scenario = SC_PROMOTION, .mode = (int)modes->list[i]};
			snprintf(tr.label, sizeof(tr.label), "promotion, numa_balancing=%d",
				 tr.mode);
			do_trial(&t, &cl, &tr, new_cell(&tr));
		}
	if (want[SC_BASELINE])
		for (int i = 0; i < 2 && !nb_interrupted; i++) {
			tr = (struct trial){
			    .scenario = SC_BASELINE, .mode = 2, .bound = i ? "slow" : "fast"};
			snprintf(tr.label, sizeof(tr.label), "baseline, hot set bound to %s",
				 tr.bound);
			do_trial(&t, &cl, &tr, new_cell(&tr));
		}
	if (want[SC_DEMOTION] && !nb_interrupted) {
		remember(knobs, "demotion_enabled");
		tr = (struct trial){.scenario = SC_DEMOTION, .mode = 2, .demote = true};
		snprintf(tr.label, sizeof(tr.label), "demotion, numa_balancing=2");
		json_t *cell = new_cell(&tr);
		json_object_set_new(cell, "demotion_enabled", json_string("true"));
		do_trial(&t, &cl, &tr, cell);
		char err[256], before[64];
		const char *b = json_string_value(
		    json_object_get(json_object_get(knobs, "demotion_enabled"), "before"));
		if (b) { /* the other scenarios run with the original setting */
			snprintf(before, sizeof(before), "%s", b);
			set_knob("demotion_enabled", before, err, sizeof(err));
		}
	}
	if (want[SC_SWEEP]) {
		static const struct {
			const char *knob, *param, *key;
		} sw[] = {
		    {"promote_rate_limit_MBps", "rate_limits_MBps", "promote_rate_limit_MBps"},
		    {"hot_threshold_ms", "hot_thresholds_ms", "hot_threshold_ms"}};
		for (int s = 0; s < 2; s++) {
			const struct nb_param_val *vals = nb_param(p, sw[s].param);
			const struct nb_tunable *k = nb_tunable_find(sw[s].knob);
			char before[64], err[256], v[32];
			bool have = nb_tunable_get(k, before, sizeof(before)) == 0;
			remember(knobs, sw[s].knob);
			for (int i = 0; i < vals->nlist && !nb_interrupted; i++) {
				tr = (struct trial){.scenario = SC_SWEEP, .mode = 2};
				snprintf(tr.label, sizeof(tr.label), "sweep, %s=%llu", sw[s].knob,
					 (unsigned long long)vals->list[i]);
				json_t *cell = new_cell(&tr);
				json_object_set_new(cell, sw[s].key,
						    json_integer((json_int_t)vals->list[i]));
				snprintf(v, sizeof(v), "%llu", (unsigned long long)vals->list[i]);
				if (!have) {
					nb_run_reason(cell, "%s is absent (%s%s)", sw[s].knob,
						      k->path,
						      strstr(k->needs, "debugfs")
							  ? ": debugfs is not mounted"
							  : ": the kernel has no such tunable");
					nb_cells_add(&cl, cell, NB_SKIPPED);
					continue;
				}
				if (nb_tunable_set(k, v, err, sizeof(err))) {
					nb_run_reason(cell, "%s", err);
					nb_cells_add(&cl, cell, NB_FAILED);
					continue;
				}
				do_trial(&t, &cl, &tr, cell);
			}
			if (have)
				nb_tunable_set(k, before, err, sizeof(err));
		}
	}
	knobs_restore(knobs);
	nb_progress_done();
	scores(run);
	headline(run, &t);
	return nb_cells_finish(&cl, run);
}

static int validate(const struct nb_ctx *ctx, const struct nb_params *p, char *err, size_t len)
{
	return nb_ctx_check_mem(ctx, nb_param_u64(p, "hot_size") + nb_param_u64(p, "cold_size"),
				"tier.hot_size + tier.cold_size", err, len);
}

const struct nb_bench nb_bench_tier = {
    .abi = NB_BENCH_ABI,
    .name = "tier",
    .summary = "memory tiering: promotion of a hot set from a slow tier, demotion under "
	       "pressure, rate limit and hot threshold sweeps",
    .params = params,
    .req = NB_REQ_ROOT | NB_REQ_BALANCING,
    .probe = probe,
    .run = run,
    .validate = validate,
};
