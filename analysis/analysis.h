/* numabench analysis: the `report` and `compare` subcommands (dispatched by bench/main.c).
 * Each takes argv[0] == its name and returns an enum nb_exit value: 0 ok, 2 usage or bad
 * input, 4 cannot write the output, 5 (compare --threshold) a significant regression. */
#ifndef NB_ANALYSIS_H
#define NB_ANALYSIS_H

int nb_cmd_report(int argc, char **argv);
int nb_cmd_compare(int argc, char **argv);

#endif
