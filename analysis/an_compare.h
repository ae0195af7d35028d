/* numabench analysis: the alignment of two results, shared by compare's two files. */
#ifndef AN_COMPARE_H
#define AN_COMPARE_H

#include "an_common.h"
#include "an_stats.h"

/* One metric of one cell of one run: baseline against compared. */
struct an_row {
	int group; /* index into an_cmp_set.groups: the run (bench and params) */
	char *cell, *metric, *unit;
	int dir;
	bool untrusted; /* the run, or the cell, is untrustworthy in either file */
	double q;	/* Benjamini-Hochberg adjusted p (an_cmp_bh), else NAN */
	struct an_cmp c;
};

/* A field of an aligned cell or mode whose value changed in kind: from zero to non-zero or
 * back, or to another string or truth value ("faults and migrates" -> "no hinting fault"). */
struct an_change {
	int group;
	char *cell, *field, *a, *b;
};

struct an_cmp_set {
	const json_t *a, *b;
	const char *an, *bn;	/* file names as shown */
	struct an_names groups; /* run labels, in baseline order */
	struct an_names notes;	/* what could not be compared, and why */
	struct an_row *rows;
	int nrows;
	struct an_change *changes;
	int nchanges;
	bool count_untrusted; /* untrustworthy rows count for --threshold */
	bool noted_emulated;  /* the note on emulated timings is written */
	bool bh;	      /* verdicts on Benjamini-Hochberg q-values */
	double practical;     /* --practical, a fraction: smaller changes are not significant */
};

/* Align b against a: compare every metric both have (statistics over samples), and list
 * the changes in kind of the other fields of cells and modes both have. 0, or -1 after one
 * error line (different units or directions for one metric). */
int an_cmp_build(struct an_cmp_set *k);
void an_cmp_free(struct an_cmp_set *k);
/* Benjamini-Hochberg over the set's rows: q-values, and verdicts judged on q instead of p. */
void an_cmp_bh(struct an_cmp_set *k);

#endif
