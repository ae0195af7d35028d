/* numabench: the one table of subcommands, and the dispatch through it. */
#include "cli.h"
#include "tunables.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct nb_cli_opt json_opt[] = {{"--json", "machine-readable output"}, {0, 0}};

static const struct nb_cli_opt run_opts[] = {
    {"-o, --output FILE", "results file (default results/HOST-UTCSTAMP.json)"},
    {"--repeat N", "repetitions per cell, 1..64 (default: adaptive, until the CI target)"},
    {"--quick", "smaller sweeps, fewer repetitions"},
    {"--budget DURATION", "end within this time (90, 60s, 5m, 1h; default: the suite's)"},
    {"--set BENCH.PARAM=VALUE", "a bench parameter (sizes take K/M/G); repeatable"},
    {"--set knob.NAME=VALUE", "a tunable for this run, journaled and put back; repeatable"},
    {"--nodes LIST", "nodes the run may use: 0-3,5  all  !LIST  +LIST (numactl syntax)"},
    {"--cpus LIST", "cpus the run may use, same syntax"},
    {"--events LIST", "counter events, comma-separated (default: numabench events)"},
    {"-v, --verbose", "more detail on stderr"},
    {0, 0}};

static const struct nb_cli_opt events_opts[] = {
    {"--all", "also every event of the core PMUs libpfm4 detected here"},
    {"--json", "machine-readable output"},
    {0, 0}};

static const struct nb_cli_opt report_opts[] = {
    {"--format text|md|html|csv|json", "output format (default text); csv and json: tidy rows"},
    {"-o, --output FILE", "write to FILE (default standard output)"},
    {0, 0}};

static const struct nb_cli_opt compare_opts[] = {
    {"--format text|md|html|csv|json", "output format (default text); csv and json: tidy rows"},
    {"-o, --output FILE", "write to FILE (default standard output)"},
    {"--threshold PCT", "exit 5 when a metric is significantly worse by more than PCT %"},
    {"--practical PCT", "a change is significant only if also at least PCT % (default 2)"},
    {"--include-untrustworthy", "let untrustworthy cells count for --threshold"},
    {"--fdr", "Benjamini-Hochberg q-values instead of per-metric p-values"},
    {0, 0}};

static const struct nb_cli_opt fleet_opts[] = {
    {"--format text|md|html|csv|json", "output format (default text); csv: a row per cause"},
    {"-o, --output FILE", "write to FILE (default standard output)"},
    {"--z THRESHOLD", "robust z-score beyond which a cell is flagged (default 3.5)"},
    {"--threshold PCT", "smallest deviation or change reported, % (default 5)"},
    {0, 0}};

static const struct nb_cli_opt guest_opts[] = {
    {"--kernel 6.1|6.12|PATH", "Debian's kernel package (fetched once), or a bzImage"},
    {"--topology NAME|FILE", "configs/guests/NAME.json or a FILE (default 2node)"},
    {"--append ARGS", "extra kernel command line; repeatable"},
    {"--timeout SEC", "seconds before a hung guest is killed (default 600)"},
    {"--keep", "keep the work folder (initrd, channel, QEMU log) and print its path"},
    {"--script FILE", "run the shell script FILE inside the guest instead of numabench"},
    {"-o, --output FILE", "results file (default results/guest-TOPO-KERNEL-STAMP.json)"},
    {"-v, --verbose", "more detail on stderr"},
    {0, 0}};

static const struct nb_cli_opt atlas_opts[] = {
    {"--kernels LIST",
     "6.1,6.12 (newest of each, default), all, linux-image-* names, bzImage paths"},
    {"-o, --output FILE", "the atlas JSON (default results/atlas-STAMP.json)"},
    {"--cache DIR", "kernels and per-kernel atlas entries (default the guest runner's cache)"},
    {"--force LIST", "proc_mem.force_override modes: never,always,ptrace (default always)"},
    {"--timeout SEC", "seconds before a hung guest is killed (default 1200)"},
    {"--no-tier", "no 3node-tier guest (tiers and promotion)"},
    {"--fresh", "measure again, ignoring cached entries"},
    {"-v, --verbose", "more detail on stderr"},
    {0, 0}};

const struct nb_cli_cmd nb_cli_cmds[] = {
    {"run", nb_cmd_run, "[options] SUITE|BENCH...",
     "run suites or benches and write the results JSON",
     "Suites are configs/NAME.json (see numabench list) or a path. Tunables set with knob.*\n"
     "are journaled and put back on every exit path. --nodes/--cpus take numactl's syntax\n"
     "(libnuma): 0-3,5, all, !LIST (all but LIST), +LIST (counted within this process's\n"
     "cpuset).",
     run_opts, NB_CLI_RESTORE},
    {"list", nb_cmd_list, "[--json]",
     "benches (parameters, whether they run here or why not) and suites",
     "An invalid suite is listed with its reason.", json_opt, 0},
    {"topo", nb_cmd_topo, "[--json]",
     "topology (nodes, cpus, memory, distances, HMAT, caches) and capabilities", NULL, json_opt, 0},
    {"knobs", nb_cmd_knobs, "[--json]", "NUMA tunables: value, valid values, what they need, path",
     NULL, json_opt, 0},
    {"events", nb_cmd_events, "[--json] [--all] [EVENT,...]",
     "counter events usable here (hardware, software, tracepoints)",
     "The default set (hardware roles for this CPU, software events, NUMA tracepoints), or\n"
     "the events named.",
     events_opts, 0},
    {"report", nb_cmd_report, "RESULT.json [--format text|md|html|csv|json] [-o FILE]",
     "a readable account of one run", NULL, report_opts, 0},
    {"compare", nb_cmd_compare,
     "A.json B.json... [--format text|md|html|csv|json] [-o FILE] [--threshold PCT] [--practical "
     "PCT] "
     "[--include-untrustworthy] [--fdr]",
     "compare runs against the first (baseline), with confidence intervals",
     "Exit 5 when --threshold is given and a metric regressed significantly.", compare_opts, 0},
    {"fleet", nb_cmd_fleet,
     "FILES|DIRS... [--format text|md|html|csv|json] [-o FILE] [--z THRESHOLD] "
     "[--threshold PCT]",
     "hosts grouped into hardware classes; the ones that differ from their class, and why",
     "Folders are searched for *.json. Files that are not numabench results are listed with\n"
     "the reason and skipped.",
     fleet_opts, 0},
    {"guest", nb_cmd_guest,
     "[--kernel 6.1|6.12|PATH] [--topology NAME|FILE] [--append ARGS] [--timeout SEC] "
     "[--keep] [--script FILE] [-o FILE] [--] ARGS...",
     "boot a QEMU NUMA guest, run numabench ARGS inside, bring the results back",
     "ARGS default to: run quick. Exit status: the guest run's; 6 the guest did not boot,\n"
     "hung or returned no results.",
     guest_opts, NB_CLI_RESTORE | NB_CLI_PASSTHRU},
    {"atlas", nb_cmd_atlas,
     "[--kernels LIST] [-o FILE] [--cache DIR] [--force LIST] [--timeout SEC] [--no-tier] "
     "[--fresh]",
     "characterize each kernel in QEMU guests into one atlas JSON",
     "Per kernel: 2node guests (fault, balance, gup with the PROT_NONE check) at each\n"
     "force mode, a 3node-tier guest (tier). Entries are cached by the kernel image's SHA-256;\n"
     "a kernel that cannot be fetched, boot or lacks NUMA is an entry with its reason.\n"
     "See numabench atlas-report.",
     atlas_opts, 0},
    {"atlas-report", nb_cmd_atlas_report, "ATLAS.json [--format text|md|html|csv|json] [-o FILE]",
     "what changed between the atlas's kernels, one row per behaviour", NULL, report_opts, 0},
    {"restore", nb_cmd_restore, "", "put back every tunable a killed run left changed",
     "Only run, guest and restore restore a pending journal; other commands say that one is\n"
     "pending.",
     NULL, NB_CLI_RESTORE},
    {"help", nb_cmd_help, "[CMD]", "usage, or the help of one command (also: CMD --help)", NULL,
     NULL, 0},
    {"version", nb_cmd_version, "", "print the version (also: --version, -V)", NULL, NULL, 0},
    {NULL, NULL, NULL, NULL, NULL, NULL, 0}};

static const char *const exit_codes =
    "exit codes: 0 every bench ok or skipped; 1 a bench failed; 2 bad usage or input;\n"
    "  3 a result is untrustworthy; 4 environment (cannot write, no memory); 5 compare found\n"
    "  a significant regression; 6 guest did not boot or hung; 130 interrupted (state restored)\n";

const struct nb_cli_cmd *nb_cli_find(const char *name)
{
	for (const struct nb_cli_cmd *c = nb_cli_cmds; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

/* "usage: numabench NAME ARGS", wrapped before a " [" group past 92 columns. */
static void print_synopsis(const struct nb_cli_cmd *c, FILE *f)
{
	int col = fprintf(f, "usage: numabench %s", c->name), indent = col + 1;
	const char *p = c->args;
	while (*p) {
		const char *next = strstr(p + 1, " [");
		int n = next ? (int)(next - p) : (int)strlen(p);
		if (p != c->args && col + n > 92) {
			fprintf(f, "\n%*s", indent - 1, "");
			col = indent - 1;
		}
		if (p == c->args) {
			fputc(' ', f);
			col++;
		}
		col += fprintf(f, "%.*s", n, p);
		p += n;
	}
	fputc('\n', f);
}

void nb_cli_help(const struct nb_cli_cmd *c, FILE *f)
{
	print_synopsis(c, f);
	fprintf(f, "\n%c%s.\n", c->summary[0] - 32 * (c->summary[0] >= 'a' && c->summary[0] <= 'z'),
		c->summary + 1);
	if (c->desc)
		fprintf(f, "%s\n", c->desc);
	int w = (int)strlen("-h, --help");
	for (const struct nb_cli_opt *o = c->opts; o && o->flag; o++)
		if ((int)strlen(o->flag) > w)
			w = (int)strlen(o->flag);
	fprintf(f, "\noptions:\n");
	for (const struct nb_cli_opt *o = c->opts; o && o->flag; o++)
		fprintf(f, "  %-*s  %s\n", w, o->flag, o->help);
	fprintf(f, "  %-*s  %s\n", w, "-h, --help", "this help");
}

static void usage_all(FILE *f)
{
	int w = 0;
	fprintf(
	    f,
	    "numabench %s: NUMA benchmark and characterization suite\n\n"
	    "usage: numabench COMMAND [ARGS]     (numabench help COMMAND, or COMMAND --help)\n\n"
	    "commands:\n",
	    NB_VERSION);
	for (const struct nb_cli_cmd *c = nb_cli_cmds; c->name; c++)
		if ((int)strlen(c->name) > w)
			w = (int)strlen(c->name);
	for (const struct nb_cli_cmd *c = nb_cli_cmds; c->name; c++)
		fprintf(f, "  %-*s  %s\n", w, c->name, c->summary);
	fprintf(f, "\nexample: numabench run quick   (what `make run` does)\n\n%s", exit_codes);
}

int nb_cmd_help(int argc, char **argv)
{
	if (argc > 2) {
		nb_err("help: takes at most one command (see numabench help)");
		return NB_EXIT_USAGE;
	}
	if (argc == 2) {
		const struct nb_cli_cmd *c = nb_cli_find(argv[1]);
		if (!c) {
			nb_err("help: unknown command \"%s\" (see numabench help)", argv[1]);
			return NB_EXIT_USAGE;
		}
		nb_cli_help(c, stdout);
		return 0;
	}
	usage_all(stdout);
	return 0;
}

int nb_cmd_version(int argc, char **argv)
{
	(void)argv;
	if (argc > 1) {
		nb_err("version: takes no arguments");
		return NB_EXIT_USAGE;
	}
	printf("numabench %s (%s)\n", NB_VERSION, NB_GIT_COMMIT);
	return 0;
}

/* Does option `arg` of c take a value ("--kernel 6.1")? From the table's spelling. */
static bool takes_value(const struct nb_cli_cmd *c, const char *arg)
{
	size_t n = strlen(arg);
	for (const struct nb_cli_opt *o = c->opts; o && o->flag; o++) {
		const char *f = o->flag, *l = strstr(f, ", ");
		if (l)
			f = l + 2;
		if (!strncmp(f, arg, n) && f[n] == ' ')
			return true;
	}
	return false;
}

/* --help or -h among the command's own arguments: before "--", and for a command whose operands
 * belong to someone else (guest), before its first operand. */
static bool wants_help(const struct nb_cli_cmd *c, int argc, char **argv)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return true;
		if (!(c->flags & NB_CLI_PASSTHRU))
			continue;
		if (argv[i][0] != '-')
			return false;
		if (takes_value(c, argv[i]) && !strchr(argv[i], '='))
			i++;
	}
	return false;
}

static void unknown(const char *name)
{
	char list[512];
	size_t off = 0;
	for (const struct nb_cli_cmd *c = nb_cli_cmds; c->name && off < sizeof(list); c++)
		off += snprintf(list + off, sizeof(list) - off, "%s%s", off ? ", " : "", c->name);
	nb_err("unknown command \"%s\" (valid: %s; see numabench help)", name, list);
}

int nb_cli_main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : "help";
	if (!strcmp(name, "--version") || !strcmp(name, "-V"))
		name = "version";
	if (!strcmp(name, "--help") || !strcmp(name, "-h"))
		name = "help";
	const struct nb_cli_cmd *c = nb_cli_find(name);
	if (!c) {
		unknown(name);
		return NB_EXIT_USAGE;
	}
	bool help = argc < 2 || wants_help(c, argc - 1, argv + 1);
	/* Only the commands that change or restore tunables put back what a killed run left
	 * (restore itself reports on it); the others, and every --help, say in one line that a
	 * journal is pending, and change nothing. */
	if ((c->flags & NB_CLI_RESTORE) && !help && c->fn != nb_cmd_restore) {
		if (nb_tunables_restore(true) < 0)
			nb_warn("some tunables could not be restored; run `numabench restore` as "
				"root");
	} else if (c->fn != nb_cmd_restore && nb_journal_pending()) {
		nb_warn("a killed run left tunables changed (journal %s); `numabench restore` puts "
			"them back",
			nb_journal_path());
	}
	if (argc < 2) {
		char *hv[] = {"help", NULL};
		return nb_cmd_help(1, hv);
	}
	if (help) {
		nb_cli_help(c, stdout);
		return 0;
	}
	return c->fn(argc - 1, argv + 1);
}

int nb_cli_want_json(int argc, char **argv, const char *cmd)
{
	int json = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = 1;
		else {
			nb_err("%s: unknown argument \"%s\" (valid: --json; see numabench help %s)",
			       cmd, argv[i], cmd);
			return -1;
		}
	}
	return json;
}

void nb_cli_print_json(json_t *o, const char *cmd)
{
	char schema[64];
	snprintf(schema, sizeof(schema), "numabench.%s/1", cmd);
	json_object_set_new(o, "schema", json_string(schema));
	json_dumpf(o, stdout, JSON_INDENT(1) | JSON_SORT_KEYS);
	putchar('\n');
	json_decref(o);
}
