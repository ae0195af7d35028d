/* numabench: subcommand entry points. Each takes argv[0] == its name, returns an nb_exit. */
#ifndef NB_CMDS_H
#define NB_CMDS_H

int nb_cmd_run(int argc, char **argv);
int nb_cmd_list(int argc, char **argv);
int nb_cmd_topo(int argc, char **argv);
int nb_cmd_knobs(int argc, char **argv);
int nb_cmd_restore(int argc, char **argv);
int nb_cmd_help(int argc, char **argv);
/* Implemented by counters, analysis and the guest runner; weak until those land. */
int nb_cmd_events(int argc, char **argv) __attribute__((weak));
int nb_cmd_report(int argc, char **argv) __attribute__((weak));
int nb_cmd_compare(int argc, char **argv) __attribute__((weak));
int nb_cmd_guest(int argc, char **argv) __attribute__((weak));

#endif
