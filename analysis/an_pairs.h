/* numabench analysis: the cpu node -> memory node pairs of a result (an_pairs.c): their idle
 * latency and bandwidth, their distance class, and whether their measured latency order agrees
 * with the order the firmware (SLIT, HMAT) gives. Shared by the summary and the tidy rows. */
#ifndef AN_PAIRS_H
#define AN_PAIRS_H

#include "an_json.h"

#include <stdbool.h>

/* One value of a pair: the cell's median, its 95% CI (lo == hi == v without one; widened to
 * hold the median), status (NULL: no cell), what the CI is of ("mean", "median"). */
struct an_val {
	double v, lo, hi;
	const char *status, *ci_of;
};

/* Where the memory is as seen from the cpu node. SLIT values of 20 and more are another
 * package (Linux's REMOTE_DISTANCE, include/linux/topology.h: the distance firmware gives a
 * node one hop away on another socket); below it the same package (SNC, NPS, CCDs). A target
 * without cpus is memory-only (CXL, HBM or a memory expander), whatever its distance. */
#define AN_OTHER_PACKAGE_DISTANCE 20
enum an_class { AN_LOCAL, AN_SAME_PKG, AN_OTHER_PKG, AN_MEM_ONLY, AN_REMOTE };

/* The firmware-order verdict of a pair's latency. */
enum an_order { AN_ORD_NONE, AN_ORD_LOCAL, AN_ORD_AGREES, AN_ORD_REVERSED, AN_ORD_EMULATED };

struct an_pair {
	long long cpu, mem;
	struct an_val lat4k, latthp, rd, triad;
	double bw_threads; /* threads of rd/triad: the most this pair was run with */
	double lat_size;   /* size of lat4k/latthp: the largest this pair was run with */
	double slit, dist, hmat_lat, hmat_bw; /* SLIT ratio to local, raw SLIT; HMAT ns, MiB/s */
	enum an_class cls;
	enum an_order order;
	char why[200]; /* for AN_ORD_REVERSED: which pair and which firmware figure */
};

struct an_pairs {
	struct an_pair *p; /* sorted by (cpu, mem) */
	int n;
	bool emulated;
};

/* The pairs of doc's latency and bandwidth runs, classified and order-checked, the cells
 * chosen by each run's "headline_rule" (latency: per pair its largest size, the 256 B stride
 * when swept, else the largest; bandwidth: per pair its most threads). Free with
 * an_pairs_free. */
void an_pairs_collect(struct an_pairs *s, const json_t *doc);
void an_pairs_free(struct an_pairs *s);
/* The latency a pair is ordered by: 4 KiB pages, else THP. */
const struct an_val *an_pair_lat(const struct an_pair *p);
/* The pair cpu > cpu, or NULL. */
const struct an_pair *an_pairs_local(const struct an_pairs *s, long long cpu);
/* "local", "same package", ... and the word form for tidy rows ("same-package"). */
const char *an_class_name(enum an_class c);
const char *an_class_id(enum an_class c);
const char *an_order_name(enum an_order o);

/* The distinct classes (kind, raw SLIT) present, in order of kind then distance. */
struct an_class_key {
	enum an_class cls;
	double dist;
};
int an_pairs_classes(const struct an_pairs *s, struct an_class_key *out, int max);
bool an_pair_in(const struct an_pair *p, const struct an_class_key *k);

/* The tidy rows of the summary (bench "summary", run 0): one per pair and metric with its
 * class and firmware verdict, one per class and metric (median over the pairs, their range). */
void an_pairs_rows(const struct an_pairs *s, json_t *rows);

#endif
