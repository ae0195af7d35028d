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
	NB_P_ENUM,  /* one of the choices */
	NB_P_ENUMS, /* comma list from the choices */
	NB_P_DOUBLE,
	NB_P_INTS, /* comma list of whole numbers (counts, cpu ids: no K/M/G suffix) */
};

/* A choice of an ENUM(S) parameter, or a word of a SIZE(S)/INTS parameter: the name typed and
 * written in the JSON, the value the bench reads (an enum of the bench; a word's value is its
 * NB_PARAM_WORD number), and what it means. Tables end with a NULL name. */
struct nb_choice {
	const char *name;
	int value;
	const char *help;
};

/* Choices named by a table of the kernels (or any array of structs whose first member is the
 * name): choice i is tab[i].name with the value i (the kernels' enum). One list of names. */
struct nb_choice_table {
	const void *tab;
	size_t stride;
	int n;
};
#define NB_CHOICES_OF(arr, count)                                                                  \
	{                                                                                          \
		(arr), sizeof((arr)[0]), (count)                                                   \
	}

/* Constraints the parameter layer checks (nb_params_set, nb_params_check), never a bench. */
enum {
	NB_PF_POW2 = 1u << 0, /* every number is a power of two */
};

struct nb_param_def {
	const char *name;
	enum nb_ptype type;
	const char *unit; /* "bytes", "threads", "ms", "" */
	const char *def;  /* default as text; "" means computed by the bench */
	double min, max;  /* INT(S)/SIZE(S)/DOUBLE range (inclusive); max 0 = none */
	/* ENUM(S): the choices; SIZE(S)/INTS: words accepted for a value (below) */
	const struct nb_choice *choices;
	const char *help;
	unsigned flags; /* NB_PF_* */
	/* Every number is <= this other parameter's value (of the same bench), or NULL. */
	const char *le;
	/* ENUM(S) whose choices are a kernels' table (choices is NULL then). */
	struct nb_choice_table from;
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

/* A word of a SIZE(S) or INTS parameter's choices ("dram", "cores|pus") stands for a value the
 * bench computes: it parses to NB_PARAM_WORD(the word's value), far above any number. */
#define NB_PARAM_WORD(i) (UINT64_MAX - (uint64_t)(i))
/* The word's value of a parsed value, or -1 for a number. */
static inline int nb_param_word(uint64_t v)
{
	return v >= UINT64_MAX - 15 ? (int)(UINT64_MAX - v) : -1;
}

/* Parsed parameter values of one run, by index in the descriptor's table. */
struct nb_param_val {
	const char *text; /* as given (or default), owned by the params */
	uint64_t u;	  /* INT/SIZE */
	double d;	  /* DOUBLE */
	uint64_t *list;	  /* SIZES/INTS; or the choices' values for ENUMS */
	int nlist;
	int choice; /* ENUM: the choice's value */
};

/* Shared parameters: defined once here, used by every bench that has them. */
/* Choices: page sizes (enum nb_pages), numa_balancing modes 0-3, the size word dram. */
extern const struct nb_choice nb_choices_pages[], nb_choices_balancing[], nb_choices_dram[];
enum { NB_WORD_DRAM = 0 };

/* The parameter every timing bench declares for the statistics rule (stats.h). */
#define NB_PARAM_CI_MAX(def)                                                                       \
	{                                                                                          \
		"ci_max", NB_P_DOUBLE, "ratio", def, 0.001, 1, NULL,                               \
		    "half-width of the median's CI (share of the median) above which a cell is "   \
		    "untrustworthy"                                                                \
	}
/* Page sizes backing a buffer (values: enum nb_pages). */
#define NB_PARAM_PAGES                                                                             \
	{                                                                                          \
		"pages", NB_P_ENUMS, "", "4k,thp", 0, 0, nb_choices_pages,                         \
		    "page sizes backing the buffer"                                                \
	}
/* The pointer chase's stride (type: NB_P_SIZE, or NB_P_SIZES for a sweep) and TLB group. */
#define NB_PARAM_STRIDE(type)                                                                      \
	{                                                                                          \
		"stride", type, "bytes", "256", 64, 1 << 20, NULL,                                 \
		    "one load per this many bytes (powers of two, at most tlb_group; 64 lets the " \
		    "adjacent-line prefetchers help)",                                             \
		    NB_PF_POW2, "tlb_group",                                                       \
		{                                                                                  \
			0                                                                          \
		}                                                                                  \
	}
#define NB_PARAM_TLB_GROUP                                                                         \
	{                                                                                          \
		"tlb_group", NB_P_SIZE, "bytes", "256K", 4096, 1ull << 30, NULL,                   \
		    "random order stays inside groups of this many bytes (bounds TLB misses)"      \
	}
/* Timeline benches: length of a run, sampling interval, the scanner's pace. */
#define NB_PARAM_DURATION_S(def, what)                                                             \
	{                                                                                          \
		"duration_s", NB_P_INT, "s", def, 1, 3600, NULL, what                              \
	}
#define NB_PARAM_INTERVAL_MS(def)                                                                  \
	{                                                                                          \
		"interval_ms", NB_P_INT, "ms", def, 10, 60000, NULL,                               \
		    "sampling interval of the timeline"                                            \
	}
#define NB_PARAM_SCAN_MS                                                                           \
	{                                                                                          \
		"scan_ms", NB_P_INT, "ms", "100", 0, 3600000, NULL,                                \
		    "scan_delay_ms and scan_period_min_ms during the bench, journaled (0: leave "  \
		    "them)"                                                                        \
	}
#define NB_PARAMS_END                                                                              \
	{                                                                                          \
		NULL, 0, NULL, NULL, 0, 0, NULL, NULL                                              \
	}

struct nb_params {
	const struct nb_bench *bench;
	struct nb_param_val v[NB_MAX_PARAMS];
};

struct nb_ctx;

/*
 * Which records a bench's headline figure comes from, declared once in its descriptor: written
 * as each run's "headline_rule", applied by the bench's headline and read by the report's
 * summary. Field tests are "FIELD=VALUE" or "FIELD!=VALUE" (the field present and different),
 * space separated; a number compares as a number.
 */
struct nb_headline_rule {
	const char *records; /* the run's array the figure comes from: "cells" (NULL), "modes" */
	const char *metric;  /* the figure: a metric of each record, or a field of it */
	const char *where;   /* records passing these field tests, or NULL: all */
	/* "FIELD=VALUE": those with this value when any was measured, else those with the largest
	 * value of FIELD (latency: the 256 B stride, else the largest swept), or NULL */
	const char *prefer;
	const char *largest; /* per node pair, the records with the largest value of this field */
	const char *text;    /* what the figure is: "4k, largest size" */
};

struct nb_bench {
	int abi; /* NB_BENCH_ABI: the struct version the bench was built against */
	const char *name;
	const char *summary;
	/* Indexed by the bench's enum of parameters (its measuring code reads p->v[THAT]), nparams
	 * rows, then a row with name == NULL. */
	const struct nb_param_def *params;
	int nparams;
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
	/* The fields of a cell that name it, in order (NULL-terminated), written as each run's
	 * "identity"; compare pairs cells by them. NULL: analysis's default list. */
	const char *const *identity;
	/* The array identity names records of, when not "cells" (balance: "modes"), written as
	 * each run's "identity_records". */
	const char *identity_records;
	/* The headline's rule (above), written as each run's "headline_rule". */
	const struct nb_headline_rule *headline;
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

/* A parameter by name, for the harness's shared parameters (ci_max, pairs) and tests; NULL
 * when the bench has none. A bench reads its own as p->v[its enum]. */
const struct nb_param_val *nb_param_find(const struct nb_params *p, const char *name);
/* The choice named by value of d ("a|b" text in buf for every choice when value < 0), for help,
 * errors and JSON; NULL when there is no such value. */
const char *nb_param_choice_name(const struct nb_param_def *d, int value);
void nb_param_choices_text(const struct nb_param_def *d, char *buf, size_t len);
/* Choice i of d (in declared order): 0, or -1 past the last one. */
int nb_param_choice_at(const struct nb_param_def *d, int i, struct nb_choice *out);

/* Parse "NAME=VALUE" for bench b into p (p starts from defaults via nb_params_init).
 * On error writes a one-line message naming the bad value and what is valid into err. */
int nb_params_init(struct nb_params *p, const struct nb_bench *b, char *err, size_t errlen);
int nb_params_set(struct nb_params *p, const char *name, const char *value, char *err,
		  size_t errlen);
/* The constraints between parameters (le), after every NAME=VALUE of the run is set: 0, or -1
 * with a one-line message naming both values. */
int nb_params_check(const struct nb_params *p, char *err, size_t errlen);
void nb_params_free(struct nb_params *p);
json_t *nb_params_json(const struct nb_params *p);
/* The parameters as values, the run's identity in compare: numbers for INT/SIZE/DOUBLE (1M and
 * 1024K are 1048576), choice names for ENUM, sorted arrays for sweeps (SIZES, ENUMS); a size
 * word (dram) by its name; parameters left to the bench are left out. */
json_t *nb_params_canonical(const struct nb_params *p);
/* b->identity as a JSON array of field names (empty when the bench declares none). */
json_t *nb_identity_json(const struct nb_bench *b);
/* A rule as JSON: {"records", "metric", "where", "prefer", "largest", "text"} (set ones). */
json_t *nb_headline_rule_json(const struct nb_headline_rule *r);
/* Whether rec passes the field tests (FIELD=VALUE FIELD!=VALUE ...; NULL passes all). */
bool nb_fields_match(json_t *rec, const char *tests);

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
/* run["headline"] by rule r over run["cells"] (nb_run_headline with the rule's where, prefer
 * and largest), labelled "TEXT, PREFER-FIELD VALUE:" ("4k, largest size, stride 256:"). */
void nb_run_headline_rule(json_t *run, const struct nb_headline_rule *r);
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
