/* numabench analysis: `numabench fleet`, results of many hosts grouped into hardware classes,
 * each host held against its class (fleet_read.c reads, fleet.c judges, fleet_out.c renders). */
#ifndef AN_FLEET_H
#define AN_FLEET_H

#include "an_common.h"
#include "an_doc.h"

#define FL_Z_DEFAULT 3.5
#define FL_PCT_DEFAULT 5.0
/* The robust spread never goes below this fraction of the class median: hosts that agree to
 * the last digit would otherwise make any difference infinitely many spreads away. */
#define FL_SPREAD_FLOOR 0.01
/* Memory per node within this fraction of the class median is the same memory (firmware and
 * kernel reservations differ slightly between identical hosts). */
#define FL_MEM_TOL 0.02
/* Fewer hosts than this in a class: no per-cell z-scores (the median of two is their mean). */
#define FL_MIN_HOSTS 3

/* One metric of one cell, as much of it as the fleet needs. */
struct fl_cell {
	int key;  /* index in the fleet's cell names: "bench params | cell | metric" */
	int node; /* the memory node the cell measured (mem_node, else cpu_node), or -1 */
	int dir;  /* -1 lower is better, +1 higher, 0 unknown */
	double med;
	double *s; /* samples, for trends */
	int ns;
};

/* The summary kept of one results file (the document itself is freed once read). */
struct fl_file {
	char *path, *host, *started, *cls; /* cls: cpu model | node/cpu shape | suite */
	/* configuration compared within a class (kernel, cmdline, distances, hmat, "tunable
	 * NAME"): cfgk[i] indexes the fleet's configuration names, cfgv[i] is the value */
	int *cfgk;
	char **cfgv;
	int ncfg;
	double *mem; /* memory per node, bytes, in node-id order */
	int nnodes;
	struct fl_cell *c;
	int nc;
};

struct fl_skip {
	char *path, *reason;
};

/* One cause of a host being flagged. */
struct fl_cause {
	bool config;
	char what[256];	 /* config: field name ("memory node 1"); metric: "METRIC node N" */
	char value[512]; /* the host's value (config) */
	char ref[512];	 /* the class's value (config) */
	double dev, z;	 /* metric: worst deviation (fraction of the class median) and its z */
	double host_v, class_v;
	int cells, of;	/* metric: cells of this group beyond the threshold, of how many */
	char cell[512]; /* metric: the worst cell */
	char text[1024];
};

struct fl_host {
	char *name;
	int cls;
	int *files; /* indexes into the fleet's files, in time order */
	int nfiles;
	int latest;
	struct fl_cause *cause;
	int ncause;
	/* per group of the class (metric+node): median deviation, for the heatmap */
	double *gdev;
};

struct fl_class {
	char *key, *cpu_model, *shape, *suite;
	int *hosts;
	int nhosts;
	struct an_names groups; /* "METRIC node N" */
	char notes[1024];	/* e.g. configuration the class disagrees on without a majority */
};

struct fl_trend {
	char host[256], from[64], to[64], cell[768], unit[32];
	double a, b, change, lo, hi, p;
	const char *verdict;
};

struct fleet {
	double z, pct;
	struct fl_file *f;
	int nf;
	struct fl_skip *skip;
	int nskip;
	struct an_names cfg;  /* configuration names */
	struct an_names keys; /* cell names */
	char **key_metric;    /* per key: the metric name and unit */
	char **key_unit;
	int nkeys_meta;
	struct fl_host *h;
	int nh;
	struct fl_class *c;
	int nc;
	struct fl_trend *t;
	int nt;
};

/* Read every results file named, or found (*.json) under a named folder, into summaries;
 * what cannot be read is listed in fl->skip with the reason. */
void fl_read_all(struct fleet *fl, char **paths, int npaths);
/* Group, reference, flag and find trends. */
void fl_judge(struct fleet *fl);
void fl_render(struct an_doc *d, const struct fleet *fl);
void fl_free(struct fleet *fl);

/* Median and MAD-based spread (1.4826 * MAD) of n values. */
void fl_robust(const double *v, int n, double *med, double *spread);

#endif
