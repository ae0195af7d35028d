/* numabench: classes of symmetric (cpu node, memory node) pairs. On a big host most pairs are
 * the same measurement again (an NPS4 host's 64 pairs are 3 kinds); a bench measures each
 * class's representative with the full rule and the other pairs of the class with a cheap check
 * (NB_CLASS_CHECK_SAMPLES samples) that says whether they agree with it (README: pair classes). */
#ifndef NB_CLASSES_H
#define NB_CLASSES_H

#include "bench.h"
#include "stats.h"

/* Samples of a class check cell (at most the rule's first look). */
#define NB_CLASS_CHECK_SAMPLES 5
/* pairs=auto measures in classes when the run has more (cpu node, memory node) pairs. */
#define NB_CLASS_AUTO_PAIRS 16

/* What makes two nodes alike, besides their distance rows (filled from the topology by
 * nb_pair_classes_ctx; unit tests fill it by hand). */
struct nb_node_shape {
	int ncpus;     /* the run's cpus on the node (0: memory-only) */
	uint64_t llc;  /* last-level cache bytes over its cpus */
	int package;   /* hwloc package index (-1: none); used only without distances */
	uint64_t hmat; /* hash of the HMAT figures with the node as target (0: none) */
};

struct nb_pair_classes {
	int ncn, nmn;
	int cn[NB_MAX_NODES], mn[NB_MAX_NODES];
	int cls[NB_MAX_NODES][NB_MAX_NODES]; /* class of (cn[i], mn[j]) */
	int nclasses;
	int rep_cpu[NB_MAX_NODES * NB_MAX_NODES], rep_mem[NB_MAX_NODES * NB_MAX_NODES];
	int members[NB_MAX_NODES * NB_MAX_NODES];
};

/*
 * Pure: the classes of the pairs cn[0..ncn) x mn[0..nmn) (node ids of t). Two pairs (c, m) and
 * (c', m') are one class when: both are local (c == m) or both remote; their distances are equal
 * (without distances: both within one package or both across); c and c' have the same shape
 * (cpu count, LLC bytes, HMAT hash) and the same distance-row multiset, and so do m and m'. The
 * representative of a class is its first pair in (cn, mn) order. shape[k] is t->nodes[k]'s.
 */
void nb_pair_classes(const struct nb_topo *t, const struct nb_node_shape *shape, const int *cn,
		     int ncn, const int *mn, int nmn, struct nb_pair_classes *pc);
/* The classes of the run's cpu nodes x memory nodes (shapes from the topology and ctx). */
void nb_pair_classes_ctx(const struct nb_ctx *ctx, struct nb_pair_classes *pc);
/* Class of the pair of node ids (c, m), -1 when not in pc. */
int nb_pair_class_of(const struct nb_pair_classes *pc, int c, int m);

/* The bench parameter `pairs` (auto|class|all|reps), one descriptor for every bench that has
 * it. */
enum nb_pairs_choice { NB_PAIRS_AUTO, NB_PAIRS_CLASS, NB_PAIRS_ALL, NB_PAIRS_REPS };
extern const struct nb_choice nb_choices_pairs[];
#define NB_PARAM_PAIRS                                                                             \
	{                                                                                          \
		"pairs", NB_P_ENUM, "", "auto", 0, 0, nb_choices_pairs,                            \
		    "node pairs: class measures one pair per class of symmetric pairs fully and "  \
		    "checks the "                                                                  \
		    "others with a few samples; all measures every pair fully; auto: class above " \
		    "16 pairs, "                                                                   \
		    "else all; reps: as auto, but the other pairs of a class are not checked"      \
	}
/* How the run measures its pairs: NB_CLASS_ALL (every pair fully), NB_CLASS_CLASSES
 * (pairs=class, or auto above 16 pairs), NB_CLASS_REPS (reps above 16
 * pairs: representatives only). */
enum { NB_CLASS_ALL, NB_CLASS_CLASSES, NB_CLASS_REPS };
int nb_class_mode(const struct nb_params *p, const struct nb_pair_classes *pc);

enum nb_class_role {
	NB_CLASS_FULL,	  /* not in class mode: measured with the full rule */
	NB_CLASS_REP,	  /* its class's representative: the full rule */
	NB_CLASS_CHECK,	  /* another pair at the check point: NB_CLASS_CHECK_SAMPLES samples */
	NB_CLASS_COVERED, /* another pair off the check point: not measured (skipped: class) */
};
/* cell["class"] = {"id", "pair": "C>M" (this cell's: c, m), "representative": "C>M",
 * "members", "role": "full"|"representative"|"check"|"covered"} (a bench whose pairs are not
 * (cpu node, memory node), migrate's (source, target), passes its own); check_point: the cell is at
 * the point where other pairs are checked (a bench's check point; in NB_CLASS_REPS mode none is).
 * Returns the role (FULL when (c, m) is not in pc). */
enum nb_class_role nb_class_cell(json_t *cell, const struct nb_pair_classes *pc, int mode, int c,
				 int m, bool check_point);
/* A covered cell at run time: skipped with reason "class: ..." naming its representative. */
enum nb_status nb_class_covered(json_t *cell);
/* Whether a (planned) cell has this role. */
bool nb_class_has_role(json_t *cell, const char *role);
/* Whether a (planned) cell is a class check. */
bool nb_class_is_check(json_t *cell);
/* Samples a check cell takes (the rule's first look, at most NB_CLASS_CHECK_SAMPLES). */
int nb_class_samples(const struct nb_ctx *ctx);
/* A check cell's rule: exactly nb_class_samples(ctx) samples, no looks. */
void nb_class_rule(const struct nb_ctx *ctx, struct nb_rule *r);
/*
 * After a check cell is measured: find its representative in cells (the cell whose fields keys
 * (NULL-terminated) equal the check's, whose class pair is the representative), and
 * compare the metric's ci95: cell["class"]["agrees"] is whether the two intervals overlap
 * (null when either is missing); a disagreement also gets ["note"] "class check: C>M differs
 * from representative C0>M0: ..." and is appended to run["class_checks"]["differ"].
 */
void nb_class_judge(json_t *run, json_t *cells, json_t *cell, const char *metric,
		    const char *const *keys);

#endif
