/* numabench analysis: what the `report` and `compare` commands (cli/cmd_report.c) run
 * once their arguments are parsed (an_parse_args, an_cli.h). Each returns an enum nb_exit
 * value: 0 ok, 2 bad input, 4 cannot write the output, 5 (compare --threshold) a significant
 * regression. */
#ifndef NB_ANALYSIS_H
#define NB_ANALYSIS_H

#include "an_cli.h"

int an_run_report(const struct an_opts *o);
/* numabench atlas-report: the atlas's behaviours per kernel, changes marked. */
int an_run_atlas_report(const struct an_opts *o);
int an_run_compare(const struct an_opts *o);
/* `numabench fleet` (analysis/fleet.c): parses argv (argv[0] the command name) with g. */
int an_run_fleet(int argc, char **argv, const struct an_getopt *g);

#endif
