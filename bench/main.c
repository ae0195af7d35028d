/* numabench: the subcommand table of ./numabench. */
#include "bench.h"
#include "results.h"
#include "tunables.h"
#include "child.h"
#include "cmds.h"

#include <errno.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;
	const char *help;
};

static const struct cmd *cmd_find(const char *name);

static const char *const exit_codes =
    "exit codes: 0 every bench ok or skipped; 1 a bench failed; 2 bad usage or input;\n"
    "  3 a result is untrustworthy; 4 environment (cannot write, no memory); 5 compare found\n"
    "  a significant regression; 6 guest did not boot or hung; 130 interrupted (state restored)\n";

static void usage_all(FILE *f);

int nb_cmd_help(int argc, char **argv)
{
	if (argc > 1) {
		const struct cmd *c = cmd_find(argv[1]);
		if (!c) {
			nb_err("help: unknown command \"%s\" (see numabench help)", argv[1]);
			return NB_EXIT_USAGE;
		}
		printf("usage: %s\n\n%s\n", c->usage, c->help);
		return 0;
	}
	usage_all(stdout);
	return 0;
}

static int cmd_version(int argc, char **argv)
{
	(void)argc, (void)argv;
	printf("numabench %s (%s)\n", NB_VERSION, NB_GIT_COMMIT);
	return 0;
}

static const struct cmd cmds[] = {
    {"run", nb_cmd_run,
     "numabench run [-o FILE] [--repeat N] [--quick] [--set BENCH.PARAM=VALUE]... "
     "[--set knob.NAME=VALUE]... [--nodes LIST] [--cpus LIST] [--events LIST] SUITE|BENCH...",
     "Run suites (configs/*.json) or benches and write the results JSON to FILE or\n"
     "results/HOST-UTCSTAMP.json. Sizes take K/M/G. Tunables set with knob.* are journaled\n"
     "and put back on every exit path. --nodes/--cpus take numactl's syntax (libnuma): 0-3,5,\n"
     "all, !LIST (all but LIST), +LIST (counted within this process's cpuset)."},
    {"list", nb_cmd_list, "numabench list [--json]",
     "Benches (with parameters and whether they can run here, or why not) and suites."},
    {"topo", nb_cmd_topo, "numabench topo [--json]",
     "Topology (nodes, cpus, memory, distances, HMAT) and capabilities of this machine."},
    {"knobs", nb_cmd_knobs, "numabench knobs [--json]",
     "NUMA-related tunables: path, type, unit, valid range, what they need, current value."},
    {"restore", nb_cmd_restore, "numabench restore",
     "Put back every tunable that a killed run left changed (from the journal)."},
    {"events", nb_cmd_events, "numabench events [--json] [--all]",
     "Counter events usable here (hardware by libpfm4 PMU, software, tracepoints)."},
    {"report", nb_cmd_report,
     "numabench report RESULT.json [--format text|md|html|csv|json] [-o FILE]",
     "A readable account of one run."},
    {"compare", nb_cmd_compare,
     "numabench compare A.json B.json... [--format text|md|html|csv|json] [-o FILE] [--threshold "
     "PCT] "
     "[--include-untrustworthy] [--fdr]",
     "Compare runs against the first (baseline), with confidence intervals and significance."},
    {"guest", nb_cmd_guest,
     "numabench guest [--kernel 6.1|6.12|PATH] [--topology NAME|FILE] [--append ARGS] "
     "[--timeout SEC] [--keep] [-o FILE] -- run ...",
     "Boot a QEMU NUMA guest, run numabench inside, bring the results JSON back."},
    {"help", nb_cmd_help, "numabench help [CMD]", "Help on a command."},
    {"version", cmd_version, "numabench --version", "Print the version."},
};

static const struct cmd *cmd_find(const char *name)
{
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
	return NULL;
}

static void usage_all(FILE *f)
{
	fprintf(f,
		"numabench %s: NUMA benchmark and characterization suite\n\n"
		"usage: numabench [COMMAND] [ARGS]   (no command: run quick)\n\n",
		NB_VERSION);
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		fprintf(f, "  %s\n", cmds[i].usage);
	fprintf(f, "\n%s", exit_codes);
}

static void on_signal(int sig)
{
	(void)sig;
	if (nb_interrupted) /* second signal: give up at once, tunables already put back */
		_exit(NB_EXIT_INTERRUPTED);
	nb_interrupted = 1;
	nb_tunables_restore_signal();
	nb_children_kill_all();
}

static void install_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

int main(int argc, char **argv)
{
	install_signals();
	/* Any invocation first puts back what a killed run left changed. */
	if (nb_tunables_restore(true) < 0)
		nb_warn("some tunables could not be restored; run `numabench restore` as root");
	if (argc < 2) {
		char *def[] = {"run", "quick", NULL};
		return nb_cmd_run(2, def);
	}
	const char *name = argv[1];
	if (!strcmp(name, "--version") || !strcmp(name, "-V"))
		name = "version";
	if (!strcmp(name, "--help") || !strcmp(name, "-h"))
		name = "help";
	const struct cmd *c = cmd_find(name);
	if (!c) {
		nb_err("unknown command \"%s\" (valid: run, list, topo, knobs, events, report, "
		       "compare, guest, restore, help, --version)",
		       name);
		return NB_EXIT_USAGE;
	}
	/* Commands with their own fuller help handle --help themselves. */
	bool own_help = c->fn == nb_cmd_guest || c->fn == nb_cmd_events || c->fn == nb_cmd_report ||
			c->fn == nb_cmd_compare;
	for (int i = 2; i < argc && strcmp(argv[i], "--") && !own_help; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: %s\n\n%s\n", c->usage, c->help);
			return 0;
		}
	}
	if (!c->fn) {
		nb_err("%s is not built into this numabench", name);
		return NB_EXIT_USAGE;
	}
	return c->fn(argc - 1, argv + 1);
}
