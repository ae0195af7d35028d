/* numabench analysis: what the `report`, `compare`, `atlas-report` and `fleet` commands run,
 * once the command layer (cli/cmd_report.c) has parsed their arguments into these options.
 * Each returns an enum nb_exit value: 0 ok, 2 bad input, 4 cannot write the output, 5
 * (compare --threshold) a significant regression. */
#ifndef NB_ANALYSIS_H
#define NB_ANALYSIS_H

#include "an_doc.h"

#include <stdbool.h>

/* report, compare and atlas-report. */
struct an_opts {
	enum an_fmt fmt;
	const char *out;  /* -o FILE, or NULL for stdout */
	double threshold; /* compare --threshold PCT; NAN when not given */
	double practical; /* compare --practical PCT (AN_PRACTICAL_PCT) */
	bool untrusted;	  /* compare --include-untrustworthy: they count for --threshold */
	bool bh;	  /* compare --fdr: Benjamini-Hochberg over each comparison's metrics */
	char **files;
	int nfiles;
};

/* fleet. */
struct an_fleet_opts {
	enum an_fmt fmt;
	const char *out; /* -o FILE, or NULL for stdout */
	double z;	 /* --z THRESHOLD; NAN when not given (FL_Z_DEFAULT) */
	double pct;	 /* --threshold PCT; NAN when not given (FL_PCT_DEFAULT) */
	char **paths;	 /* results files or folders */
	int npaths;
};

/* Colour only for text on a terminal, and never with NO_COLOR set. */
bool an_use_color(const struct an_opts *o);

int an_run_report(const struct an_opts *o);
/* numabench atlas-report: the atlas's behaviours per kernel, changes marked. */
int an_run_atlas_report(const struct an_opts *o);
int an_run_compare(const struct an_opts *o);
/* `numabench fleet` (analysis/fleet.c). */
int an_run_fleet(const struct an_fleet_opts *o);

#endif
