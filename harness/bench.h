/* numabench: the bench descriptor, parameters and the run context. */
#ifndef NB_BENCH_H
#define NB_BENCH_H

#include "nb.h"
#include "topo.h"

#define NB_BENCH_ABI 1
#define NB_MAX_PARAMS 16

enum nb_ptype {
	NB_P_INT,   /* unsigned integer, min/max apply */
	NB_P_SIZE,  /* bytes with K/M/G suffix, min/max apply */
	NB_P_SIZES, /* comma list of sizes (a sweep) */
	NB_P_ENUM,  /* one of choices ("a|b|c") */
	NB_P_ENUMS, /* comma list from choices */
	NB_P_DOUBLE,
};

struct nb_param_def {
	const char *name;
	enum nb_ptype type;
	const char *unit;    /* "bytes", "threads", "ms", "" */
	const char *def;     /* default as text; "" means computed by the bench */
	double min, max;     /* INT/SIZE/DOUBLE range (inclusive); max 0 = none */
	const char *choices; /* ENUM(S): "a|b|c"; SIZE(S): words accepted for a value (below) */
	const char *help;
};

/* Requirements a bench declares; probe() adds what only the machine can tell. */
enum {
	NB_REQ_ROOT = 1u << 0,
	NB_REQ_2NODES = 1u << 1,
	NB_REQ_BALANCING = 1u << 2,
	NB_REQ_DEBUGFS = 1u << 3,
	NB_REQ_PTRACE = 1u << 4,
	NB_REQ_PMU = 1u << 5,
};

/* A word of a SIZE or SIZES parameter's choices ("dram", "cores|pus") stands for a value the
 * bench computes: it parses to NB_PARAM_WORD(index of the word), far above any size. */
#define NB_PARAM_WORD(i) (UINT64_MAX - (uint64_t)(i))
/* The word index of a parsed value, or -1 for a number. */
static inline int nb_param_word(uint64_t v)
{
	return v >= UINT64_MAX - 15 ? (int)(UINT64_MAX - v) : -1;
}

/* Parsed parameter values of one run, by index in the descriptor's table. */
struct nb_param_val {
	const char *text; /* as given (or default), owned by the params */
	uint64_t u;	  /* INT/SIZE */
	double d;	  /* DOUBLE */
	uint64_t *list;	  /* SIZES; or indexes into choices for ENUMS */
	int nlist;
	int choice; /* ENUM: index into choices */
};

/* The parameter every timing bench declares for the statistics rule (stats.h). */
#define NB_PARAM_CI_MAX(def)                                                                       \
	{                                                                                          \
		"ci_max", NB_P_DOUBLE, "ratio", def, 0.001, 1, NULL,                               \
		    "half-width of the median's CI (share of the median) above which a cell is "   \
		    "untrustworthy"                                                                \
	}

struct nb_params {
	const struct nb_bench *bench;
	struct nb_param_val v[NB_MAX_PARAMS];
};

struct nb_ctx;

struct nb_bench {
	int abi; /* NB_BENCH_ABI: the struct version the bench was built against (not checked yet)
		  */
	const char *name;
	const char *summary;
	const struct nb_param_def *params; /* terminated by name == NULL */
	unsigned req;
	/* Why this bench cannot run here (static string), or NULL if it can. */
	const char *(*probe)(const struct nb_ctx *ctx);
	/* Fill `run` (a JSON object with bench/params already set); return the status.
	 * On skip/fail/untrustworthy set ctx reason through nb_run_reason(). */
	enum nb_status (*run)(struct nb_ctx *ctx, const struct nb_params *p, json_t *run);
	/* Optional: refuse parameters this machine cannot satisfy (e.g. a buffer larger than
	 * a node's free memory) before anything runs. 0, or -1 with a one-line message. */
	int (*validate)(const struct nb_ctx *ctx, const struct nb_params *p, char *err,
			size_t errlen);
	/* Optional: a cross-bench check, called after every bench of the invocation ran, in
	 * job order, for this bench's `run` unless it was skipped. `runs` is the results'
	 * runs array being built (this run included); the bench reads other benches' cells
	 * there and records the comparison in `run` (it must not change other runs). */
	void (*compare)(const struct nb_ctx *ctx, json_t *run, json_t *runs);
	/* Optional: the plan (harness/plan.h), a pure function of ctx and p that runs, allocates
	 * and changes nothing: {"cells":[...], "memory_per_node":{}, "estimate_s"}, each cell with
	 * its identity fields, mem_node, bytes and cpus[] ({cpu, role}). run() executes exactly
	 * these cells and records each one's cpus. NULL: `run --plan` says the bench has none. */
	json_t *(*plan)(const struct nb_ctx *ctx, const struct nb_params *p);
	/* Optional: the fields of a cell that name it, in order (NULL-terminated), written as
	 * each run's "identity"; compare pairs cells by them. NULL: analysis's default list. */
	const char *const *identity;
};

/* The run context shared by every bench in one invocation. */
struct nb_ctx {
	struct nb_topo *topo;
	struct nb_caps *caps;
	int nodes[NB_MAX_NODES]; /* nodes this run may use (after --nodes and cgroup) */
	int nnodes;
	int *cpus; /* cpus this run may use (after --cpus and cgroup), ncpus of them, increasing;
		    * owned (nb_ctx_free) */
	int ncpus;
	/* The same two sets as bitmaps (owned; nb_ctx_free releases them). */
	struct bitmask *nodeset, *cpuset;
	int repeat;	    /* --repeat N: 0 = adaptive (until CI target or cap) */
	bool quick;	    /* --quick: smaller sweeps, fewer repetitions */
	const char *events; /* --events list, or NULL for the default set */
	const char *progress_label;
};

/* Parameter access by name (aborts on a name the descriptor does not declare:
 * that is a programming error, not user input). */
const struct nb_param_val *nb_param(const struct nb_params *p, const char *name);
uint64_t nb_param_u64(const struct nb_params *p, const char *name);
double nb_param_double(const struct nb_params *p, const char *name);
const char *nb_param_str(const struct nb_params *p, const char *name);

/* Parse "NAME=VALUE" for bench b into p (p starts from defaults via nb_params_init).
 * On error writes a one-line message naming the bad value and what is valid into err. */
int nb_params_init(struct nb_params *p, const struct nb_bench *b, char *err, size_t errlen);
int nb_params_set(struct nb_params *p, const char *name, const char *value, char *err,
		  size_t errlen);
void nb_params_free(struct nb_params *p);
json_t *nb_params_json(const struct nb_params *p);
/* The parameters as values, the run's identity in compare: numbers for INT/SIZE/DOUBLE (1M and
 * 1024K are 1048576), choice names for ENUM, sorted arrays for sweeps (SIZES, ENUMS); a size
 * word (dram) by its name; parameters left to the bench are left out. */
json_t *nb_params_canonical(const struct nb_params *p);
/* b->identity as a JSON array of field names (empty when the bench declares none). */
json_t *nb_identity_json(const struct nb_bench *b);

/* Result helpers. */
void nb_run_reason(json_t *run, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A metric with samples; computes the summary. direction: "lower" or "higher". */
json_t *nb_metric(const char *unit, const char *direction, const double *samples, int n);
/* Add metric to run["metrics"][key]. */
void nb_run_metric(json_t *run, const char *key, json_t *metric);

/* run["headline"]: "LABEL local 95.1 ns (nodes 0-1), remote 150 ns (1.58x)" over the ok cells
 * pick() accepts that have the largest value of the cell field `maxkey` of their node pair
 * (NULL: all of them);
 * local cells have cpu_node == mem_node. The factor is how many times worse remote is than
 * local (medians of the cells' medians). Without an ok local cell, untrustworthy cells are
 * used and the headline says so; without any, there is none. */
void nb_run_headline(json_t *run, const char *metric, const char *label, const char *maxkey,
		     bool (*pick)(json_t *cell, void *arg), void *arg);
/* The topology headlines group non-local pairs by: with two distance classes or more among
 * the measured pairs (same package below SLIT 20, other package from it, memory only for a
 * node without cpus) each class gets its figure and factor ("same package 112 ns (1.12x),
 * other package 190 ns (1.90x)"); with one, or without a topology (NULL), it is "remote".
 * maxkey is taken per node pair, so a pair run with fewer threads keeps its figure. Set by
 * the runner. */
void nb_headline_topology(const struct nb_topo *t);
/* A figure to 3 significant digits, never in e-notation. */
void nb_fmt_figure(double v, char *buf, size_t len);

/* Progress line on a terminal (stderr), silent otherwise. */
void nb_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void nb_progress_done(void);

/*
 * The run's nodes and cpus: the topology's ∩ the allowed sets (caps), narrowed by --nodes and
 * --cpus when given (numactl syntax, see nb_set_parse). Fills nodes/nnodes, cpus/ncpus and the
 * bitmaps. 0, or -1 with one line on stderr naming the bad value and what is valid.
 */
int nb_ctx_setup(struct nb_ctx *ctx, const char *nodes, const char *cpus);
void nb_ctx_free(struct nb_ctx *ctx);

/* Nodes of the run that have memory / cpus (after --nodes, --cpus and the cgroup). */
int nb_ctx_mem_nodes(const struct nb_ctx *ctx, int *out);
int nb_ctx_cpu_nodes(const struct nb_ctx *ctx, int *out);
/* CPUs of node usable in this run, increasing, into out (NULL: only counted). out needs at
 * most ctx->ncpus entries (nb_ctx_cpu_list). */
int nb_ctx_node_cpus(const struct nb_ctx *ctx, int node, int *out);
/* An array for a list of the run's cpus: ctx->ncpus entries (at least 1), zeroed; the caller
 * frees it. Never NULL (nb_xcalloc). */
int *nb_ctx_cpu_list(const struct nb_ctx *ctx);
/* The one cpu a single-thread cell on node uses (nb_place_one_cpu over its cpus in this run),
 * -1 when it has none. */
int nb_ctx_node_one_cpu(const struct nb_ctx *ctx, int node);
/* -1 with a message when `bytes` (per node) exceeds the free memory of a node of the run,
 * or the headroom the memory cgroup leaves (minus NB_MEM_SLACK). */
int nb_ctx_check_mem(const struct nb_ctx *ctx, uint64_t bytes, const char *what, char *err,
		     size_t errlen);

/* The registry (bench/registry.c). */
extern const struct nb_bench *const nb_benches[];
const struct nb_bench *nb_bench_find(const char *name);

#endif
