/* numabench analysis: the command line shared by report and compare. */
#ifndef AN_CLI_H
#define AN_CLI_H

#include "an_doc.h"

#include <getopt.h>

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

/* getopt's tables of a command, built by the command layer from its one option table
 * (cli/commands.c): analysis defines no option of its own. */
struct an_getopt {
	const struct option *lo;
	const char *optstring;
	const char *valid; /* the options, for error lines */
};

/* Parse argv (argv[0] is the command name) with g. compare accepts --threshold and 2+ files,
 * report exactly one. 0, or NB_EXIT_USAGE after one error line. */
int an_parse_args(int argc, char **argv, bool compare, const struct an_getopt *g,
		  struct an_opts *o);
/* Colour only for text on a terminal, and never with NO_COLOR set. */
bool an_use_color(const struct an_opts *o);

#endif
