/* numabench bench `gup`: the state its files share (cells, passes, the target's handle) and
 * the functions they call across files. Files: gup.c (parameters, the run, the descriptor),
 * target.c (the target child and its parent-side handle), plan.c (nodes, force probe, cells),
 * pass.c (one pass), rules.c (the rules, pure), results.c (status, verdicts, JSON). */
#ifndef NB_GUP_H
#define NB_GUP_H

#include "bench.h"
#include "gup/rules.h"
#include "place.h"
#include "remote.h"
#include "sampler.h"
#include "scan.h"

#include <sys/types.h>

#define MAX_REPEAT 64
/* The parameters (gup.c): p->v[GUP_P_*]. */
enum {
	GUP_P_SIZE,
	GUP_P_REPEAT,
	GUP_P_PATHS,
	GUP_P_BALANCING,
	GUP_P_PAIRS,
	GUP_P_SCAN_DELAY_MS,
	GUP_P_SCAN_PERIOD_MIN_MS,
	GUP_P_MARK_TIMEOUT_MS,
	GUP_P_SETTLE_MS,
	GUP_P_COUNT
};
enum gup_pair { GUP_CROSS, GUP_LOCAL }; /* values of `pairs` */

#define MAX_CELLS 48   /* 2 pairs x 2 modes x (2 controls + 8 path modes) = 40 */
#define REPLY_MS 60000 /* a target must answer within this (TCG guests are slow) */
#define NOT_PROBED NB_GUP_NOT_PROBED
/* Pages at the end of the buffer's VMA that only the mark check reads (README protocol point 5):
 * a hinting fault on each says the scanner covered the target's own buffer VMA. */
#define GUP_CANARY_PAGES 2

/* ---- the target (target.c) --------------------------------------------------------------- */

/* What the child needs; filled by the parent before each spawn. */
struct tspec {
	int *cpus_a, na; /* owned by struct gup (gup_spec_for allocates, gup_free frees) */
	int *cpus_b, nb;
	size_t pages, psz;
	int sock, other; /* the child's socket end; the parent's end, closed in the child */
};

struct ready {
	int err; /* errno of a failed setup, else 0 */
	uintptr_t buf, prot_none, ro;
	int canary_node[GUP_CANARY_PAGES]; /* where the canary pages are, -1 unknown */
};

/* The target's answer to a mark check: its control thread's faults over reading the canary
 * pages (-1 unknown), and where they are now. */
struct canary {
	int32_t faults;
	int32_t node[GUP_CANARY_PAGES];
};

struct target {
	pid_t pid;
	int sock;
	struct ready r;
	bool attached;
	int64_t seq0;	     /* mm->numa_scan_seq when the target was ready, -1 unknown */
	int64_t seq_checked; /* mm->numa_scan_seq at the last mark check */
	uint64_t checked_ns; /* when that check was made, 0 never */
};

int gup_send_all(int fd, const void *p, size_t n);
/* Read exactly n bytes within ms; 0, or -1 with errno (ETIMEDOUT, EPIPE, EINTR). */
int gup_recv_all(int fd, void *p, size_t n, int ms);
long gup_thread_minflt(void);
int gup_target_start(struct target *t, struct tspec *s, char *why, size_t wl);
void gup_target_stop(struct target *t);
/* SIGSTOP, and the group stop reported by waitpid (sent once every thread has stopped). */
int gup_target_sigstop(struct target *t);
/* PTRACE_ATTACH the stopped main thread and wait for its tracing stop. */
int gup_target_attach(struct target *t);
/* Undo the freeze (PTRACE_DETACH when attached, SIGCONT). 0 or -1. */
int gup_target_resume(struct target *t);
/* The target reads its own PROT_NONE probe page: PN_FAULTED, PN_READABLE or PN_UNKNOWN. */
int gup_target_self_probe(struct target *t);
/* Mark check: the target reads its canary pages (t->r.canary_node follows them). 0 or -1. */
int gup_target_canary(struct target *t, struct canary *out);
/* The permissions ("---p") of the mapping of pid holding addr, into out; 0 or -1. */
int gup_maps_perms(pid_t pid, uintptr_t addr, char *out, size_t len);

/* ---- the bench's state ------------------------------------------------------------------ */

enum kind { K_PATH, K_NULL, K_POSITIVE };
extern const char *const nb_gup_kind_names[]; /* by enum kind */

struct pass {
	char fail[160]; /* why the pass could not be measured, "" when it was */
	bool marked;
	/* The mark check (point 5): hinting faults the canary pages took when marked was decided
	 * (-1 never checked), checks made, the target's mm->numa_scan_seq rise since its setup
	 * (-1 unknown) */
	int canary_faults, canary_checks;
	int64_t seq_rise;
	int err;		 /* access error: errno value or NB_RSHORT; 0 none */
	size_t done;		 /* pages accessed */
	int64_t pte_updates;	 /* numa_pte_updates, target start to freeze */
	struct nb_vmstat during; /* deltas over the access */
	struct nb_placement before, after;
	int64_t reader_minflt, target_minflt;
	double mark_wait_ms;
	int prot_none, read_only; /* probe: 0 ok, errno, NB_RSHORT, NOT_PROBED */
	int data; /* read paths: 1 the last page read back its marker, 0 not, -1 n/a */
	/* After the access and the probe (README "PROT_NONE check"): the probe page's
	 * permissions in /proc/PID/maps ("" unknown) and the target's own read of it:
	 * PN_FAULTED (SIGSEGV, still PROT_NONE), PN_READABLE (no longer), PN_UNKNOWN. */
	char pn_perms[8];
	int pn_self;
};

enum { PN_UNKNOWN, PN_FAULTED, PN_READABLE };

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
	struct nb_scan scan; /* the knobs the bench lowers and puts back */
	char setup_fail[200];
	struct cell *cells;
	int ncells;
	struct tspec spec;
	char *scratch;
	uintptr_t *addrs;
	uint64_t *ns;
};

/* Per-pass values; V_* below 0, else an index into the vmstat deltas over the access. */
enum { V_PTE = -1, V_RMINFLT = -2, V_TMINFLT = -3, V_MARKMS = -4, V_MOVED = -5 };

/* plan.c */
int gup_pick_nodes(struct gup *g);
int gup_probed_force(const struct gup *g, enum nb_rpath p, bool attached);
void gup_cells_build(struct gup *g);
void gup_probe_paths(struct gup *g);
/* pass.c */
/* The target's and reader's cpus for target node a, reader node b; -1 when one has none. */
int gup_spec_for(struct gup *g, int a, int b, size_t pages);
int gup_open_mem(pid_t pid);
void gup_run_pass(struct gup *g, struct cell *c, struct pass *p);
void gup_collect(struct gup *g, struct cell *c, const struct pass *p);
/* "ok", "short transfer", "EFAULT" (or "E123" in buf) */
const char *gup_err_name(int e, char *buf, size_t len);
/* results.c */
const char *gup_cell_path(const struct cell *c);
enum nb_status gup_results(struct gup *g);

#endif
