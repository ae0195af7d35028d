/* numabench: the command line. The one table of subcommands (commands.c) gives usage, --help,
 * `help CMD`, the unknown-command list and which commands may restore the tunables journal;
 * tests check the man page and README against it. This is the only layer that knows every other
 * one (harness core, bench registry, analysis). */
#ifndef NB_CLI_H
#define NB_CLI_H

#include "nb.h"

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* One option of a command, the only place it is defined: the table gives getopt's struct option
 * array and optstring (nb_cli_getopt), --help, the "valid:" lists, and the man page test. key is
 * what getopt returns for it (the command's switch case); with shrt, -KEY is a spelling too.
 * metavar names the value; NULL: the option takes none. A second row with the same key adds a
 * help line only (run's two --set forms). */
struct nb_cli_opt {
	int key;
	bool shrt;
	const char *lng; /* without "--"; NULL: short only */
	const char *metavar;
	const char *help;
};
#define NB_OPT(key, lng, metavar, help)                                                            \
	{                                                                                          \
		key, false, lng, metavar, help                                                     \
	}
#define NB_OPT_S(key, lng, metavar, help)                                                          \
	{                                                                                          \
		key, true, lng, metavar, help                                                      \
	}
#define NB_OPT_END                                                                                 \
	{                                                                                          \
		0, false, NULL, NULL, NULL                                                         \
	}

enum {
	NB_CLI_RESTORE = 1u << 0, /* restores a pending tunables journal before it runs */
	NB_CLI_PASSTHRU = 1u << 1 /* arguments after the first operand belong to someone else */
};

struct nb_cli_cmd {
	const char *name;
	int (*fn)(int argc, char **argv); /* argv[0] == name; returns an enum nb_exit */
	const char *args;		  /* synopsis after the name */
	const char *summary;		  /* one line */
	const char *desc;		  /* more lines, or NULL */
	const struct nb_cli_opt *opts;	  /* terminated by key == 0; NULL for none */
	unsigned flags;
};

/* The table, terminated by name == NULL. */
extern const struct nb_cli_cmd nb_cli_cmds[];
const struct nb_cli_cmd *nb_cli_find(const char *name);
/* Print `usage:`, the description and the options of c. */
void nb_cli_help(const struct nb_cli_cmd *c, FILE *f);
/* Dispatch argv (argv[0] the program) through the table: an nb_exit code. */
int nb_cli_main(int argc, char **argv);

/* The subcommands. */
int nb_cmd_run(int argc, char **argv);
int nb_cmd_list(int argc, char **argv);
int nb_cmd_topo(int argc, char **argv);
int nb_cmd_knobs(int argc, char **argv);
int nb_cmd_events(int argc, char **argv);
int nb_cmd_report(int argc, char **argv);
int nb_cmd_compare(int argc, char **argv);
int nb_cmd_fleet(int argc, char **argv);
int nb_cmd_guest(int argc, char **argv);
int nb_cmd_atlas(int argc, char **argv);
int nb_cmd_atlas_report(int argc, char **argv);
int nb_cmd_restore(int argc, char **argv);
int nb_cmd_help(int argc, char **argv);
int nb_cmd_version(int argc, char **argv);

/* Parse without running (fuzzing, tests): 0 or -1 with a message on stderr. */
int nb_suite_parse(const char *buf, size_t len);
int nb_run_parse(int argc, char **argv);

/* getopt_long's tables of a command, from its option table; -h/--help are added (key 'h'). */
#define NB_CLI_MAX_OPTS 32
struct nb_cli_getopt {
	struct option lo[NB_CLI_MAX_OPTS + 2];
	char optstring[2 * NB_CLI_MAX_OPTS + 8];
	char valid[1024]; /* "--kernel, --topology, -o" for error lines */
};
void nb_cli_getopt_init(struct nb_cli_getopt *g, const struct nb_cli_cmd *c);
/* The command's spelling of option o as help shows it: "-o, --output FILE". */
void nb_cli_opt_spelling(const struct nb_cli_opt *o, char *buf, size_t len);
/* Start getopt over again (glibc: optind 0 also drops a half-parsed option group). */
void nb_cli_getopt_reset(void);
/* The "unknown option X" / "missing value for X" error line of c, with the valid list. */
int nb_cli_bad_opt(const struct nb_cli_cmd *c, const struct nb_cli_getopt *g, int rc, char **argv);

/* report, compare, atlas-report: their options (cli/cmd_report.c) with c's tables. */
struct an_opts;
int nb_cli_an_parse(const struct nb_cli_cmd *c, int argc, char **argv, bool compare,
		    struct an_opts *o);

/* Shared by list, topo, knobs: "--json" or nothing; 1, 0, or -1 after one error line. */
int nb_cli_want_json(int argc, char **argv, const char *cmd);
/* Print a --json document (a top-level "schema": "numabench.CMD/1" is added) and free it. */
void nb_cli_print_json(json_t *o, const char *cmd);

#endif
