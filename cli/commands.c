/* numabench: the one table of subcommands, and the dispatch through it. */
#include "cli.h"
#include "tunables.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct nb_cli_opt json_opt[] = {NB_OPT('J', "json", NULL, "machine-readable output"),
					     NB_OPT_END};

static const struct nb_cli_opt run_opts[] = {
    NB_OPT_S('o', "output", "FILE", "results file (default results/HOST-UTCSTAMP.json)"),
    NB_OPT('r', "repeat", "N",
	   "repetitions per cell, 1..64 (default: adaptive, until the CI target)"),
    NB_OPT('q', "quick", NULL, "smaller sweeps, fewer repetitions"),
    NB_OPT('b', "budget", "DURATION",
	   "end within this time (90, 60s, 5m, 1h; default: the suite's)"),
    NB_OPT('s', "set", "BENCH.PARAM=VALUE", "a bench parameter (sizes take K/M/G); repeatable"),
    NB_OPT('s', "set", "knob.NAME=VALUE",
	   "a tunable for this run, journaled and put back; repeatable"),
    NB_OPT('n', "nodes", "LIST",
	   "nodes the run may use: 0-3,5  all  !LIST  +LIST (numactl syntax)"),
    NB_OPT('c', "cpus", "LIST", "cpus the run may use, same syntax"),
    NB_OPT('e', "events", "LIST", "counter events, comma-separated (default: numabench events)"),
    NB_OPT('P', "plan", NULL,
	   "print the cells, cpus, memory and time a run would use; run nothing"),
    NB_OPT('J', "json", NULL, "with --plan: the plan as JSON on stdout"),
    NB_OPT_S('v', "verbose", NULL, "more detail on stderr"),
    NB_OPT_END};

static const struct nb_cli_opt events_opts[] = {
    NB_OPT('a', "all", NULL, "also every event of the core PMUs libpfm4 detected here"),
    NB_OPT('J', "json", NULL, "machine-readable output"),
    NB_OPT('S', "selfcheck", NULL,
	   "count a loop of known length: instructions counted must equal those executed"),
    NB_OPT_END};

#define FORMAT_OPT(help) NB_OPT('f', "format", "text|md|html|csv|json", help)

static const struct nb_cli_opt report_opts[] = {
    FORMAT_OPT("output format (default text); csv and json: tidy rows"),
    NB_OPT_S('o', "output", "FILE", "write to FILE (default standard output)"), NB_OPT_END};

static const struct nb_cli_opt compare_opts[] = {
    FORMAT_OPT("output format (default text); csv and json: tidy rows"),
    NB_OPT_S('o', "output", "FILE", "write to FILE (default standard output)"),
    NB_OPT('t', "threshold", "PCT",
	   "exit 5 when a metric is significantly worse by more than PCT %"),
    NB_OPT('p', "practical", "PCT",
	   "a change is significant only if also at least PCT % (default 2)"),
    NB_OPT('u', "include-untrustworthy", NULL, "let untrustworthy cells count for --threshold"),
    NB_OPT('q', "fdr", NULL, "Benjamini-Hochberg q-values instead of per-metric p-values"),
    NB_OPT_END};

static const struct nb_cli_opt fleet_opts[] = {
    FORMAT_OPT("output format (default text); csv: a row per cause"),
    NB_OPT_S('o', "output", "FILE", "write to FILE (default standard output)"),
    NB_OPT('z', "z", "THRESHOLD", "robust z-score beyond which a cell is flagged (default 3.5)"),
    NB_OPT('t', "threshold", "PCT", "smallest deviation or change reported, % (default 5)"),
    NB_OPT_END};

static const struct nb_cli_opt guest_opts[] = {
    NB_OPT('A', "arch", "x86_64|arm64",
	   "x86_64 (default, -M q35) or arm64 (-M virt -cpu max; build/arm64/numabench)"),
    NB_OPT('k', "kernel", "6.1|6.12|PATH",
	   "Debian's kernel package (fetched once), or a bzImage (arm64: an Image)"),
    NB_OPT('t', "topology", "NAME|FILE", "configs/guests/NAME.json or a FILE (default 2node)"),
    NB_OPT('a', "append", "ARGS", "extra kernel command line; repeatable"),
    NB_OPT('I', "icount", NULL, "arm64: -icount shift=0, the PMU counts instructions exactly"),
    NB_OPT('T', "timeout", "SEC", "seconds before a hung guest is killed (default 600)"),
    NB_OPT('K', "keep", NULL,
	   "keep the work folder (initrd, channel, QEMU log) and print its path"),
    NB_OPT('S', "script", "FILE",
	   "run the shell script FILE inside the guest instead of numabench"),
    NB_OPT_S('o', "output", "FILE", "results file (default results/guest-TOPO-KERNEL-STAMP.json)"),
    NB_OPT_S('v', "verbose", NULL, "more detail on stderr"),
    NB_OPT_END};

static const struct nb_cli_opt atlas_opts[] = {
    NB_OPT('k', "kernels", "LIST",
	   "6.1,6.12 (newest of each, default), all, linux-image-* names, bzImage paths"),
    NB_OPT_S('o', "output", "FILE", "the atlas JSON (default results/atlas-STAMP.json)"),
    NB_OPT('c', "cache", "DIR",
	   "kernels and per-kernel atlas entries (default the guest runner's cache)"),
    NB_OPT('f', "force", "LIST",
	   "proc_mem.force_override modes: never,always,ptrace (default always)"),
    NB_OPT('T', "timeout", "SEC", "seconds before a hung guest is killed (default 1200)"),
    NB_OPT('N', "no-tier", NULL, "no 3node-tier guest (tiers and promotion)"),
    NB_OPT('F', "fresh", NULL, "measure again, ignoring cached entries"),
    NB_OPT_S('v', "verbose", NULL, "more detail on stderr"),
    NB_OPT_END};

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
    {"events", nb_cmd_events, "[--json] [--all] [--selfcheck] [EVENT,...]",
     "counter events usable here (hardware, software, tracepoints)",
     "The default set (hardware roles for this CPU, software events, NUMA tracepoints), or\n"
     "the events named (uncore PMUs need system-wide counting and are not listed).\n"
     "--selfcheck: the default set must not be multiplexed; with EVENTS, which of them the\n"
     "kernel rotated and by how much. JSON on stdout; exit 1 when a check failed.",
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
     "[--arch x86_64|arm64] [--kernel 6.1|6.12|PATH] [--topology NAME|FILE] [--append ARGS] "
     "[--icount] [--timeout SEC] [--keep] [--script FILE] [-o FILE] [--] ARGS...",
     "boot a QEMU NUMA guest, run numabench ARGS inside, bring the results back",
     "ARGS default to: run quick. Kernels 6.1 and 6.12 are Debian bookworm packages, fetched\n"
     "once with apt-get download into the cache, never installed. --script F runs sh F ARGS in\n"
     "numabench's folder; the JSON files it writes come back as results. The guest console\n"
     "goes to FILE.console.log. Exit status: the guest run's; 2 bad arguments; 6 the guest did\n"
     "not boot, hung or returned no results. Environment: NUMABENCH_CACHE,\n"
     "NUMABENCH_ACCEL=tcg|kvm|auto, NUMABENCH_QEMU, NUMABENCH_DATA, NUMABENCH_GUEST_BINARY.",
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

void nb_cli_opt_spelling(const struct nb_cli_opt *o, char *buf, size_t len)
{
	char sh[8] = "";
	if (o->shrt)
		snprintf(sh, sizeof(sh), "-%c%s", o->key, o->lng ? ", " : "");
	snprintf(buf, len, "%s%s%s%s%s", sh, o->lng ? "--" : "", o->lng ? o->lng : "",
		 o->metavar ? " " : "", o->metavar ? o->metavar : "");
}

void nb_cli_help(const struct nb_cli_cmd *c, FILE *f)
{
	char sp[160];
	print_synopsis(c, f);
	fprintf(f, "\n%c%s.\n", c->summary[0] - 32 * (c->summary[0] >= 'a' && c->summary[0] <= 'z'),
		c->summary + 1);
	if (c->desc)
		fprintf(f, "%s\n", c->desc);
	int w = (int)strlen("-h, --help");
	for (const struct nb_cli_opt *o = c->opts; o && o->key; o++) {
		nb_cli_opt_spelling(o, sp, sizeof(sp));
		if ((int)strlen(sp) > w)
			w = (int)strlen(sp);
	}
	fprintf(f, "\noptions:\n");
	for (const struct nb_cli_opt *o = c->opts; o && o->key; o++) {
		nb_cli_opt_spelling(o, sp, sizeof(sp));
		fprintf(f, "  %-*s  %s\n", w, sp, o->help);
	}
	fprintf(f, "  %-*s  %s\n", w, "-h, --help", "this help");
}

void nb_cli_getopt_init(struct nb_cli_getopt *g, const struct nb_cli_cmd *c)
{
	int n = 0;
	size_t so = 0, vo = 0;
	memset(g, 0, sizeof(*g));
	/* ':' reports a missing value apart; '+' stops at the first operand (guest's ARGS) */
	so += (size_t)snprintf(g->optstring, sizeof(g->optstring), "%s:h",
			       c->flags & NB_CLI_PASSTHRU ? "+" : "");
	for (const struct nb_cli_opt *o = c->opts; o && o->key; o++) {
		bool dup = false;
		for (const struct nb_cli_opt *p = c->opts; p < o; p++)
			dup |= p->key == o->key;
		if (dup) /* a second help line of the same option */
			continue;
		if (n >= NB_CLI_MAX_OPTS)
			abort(); /* a table larger than the arrays: a programming error */
		if (o->lng)
			g->lo[n++] = (struct option){
			    o->lng, o->metavar ? required_argument : no_argument, NULL, o->key};
		if (o->shrt)
			so += (size_t)snprintf(g->optstring + so, sizeof(g->optstring) - so, "%c%s",
					       o->key, o->metavar ? ":" : "");
		char one[8];
		snprintf(one, sizeof(one), "-%c", o->key);
		vo += (size_t)snprintf(g->valid + vo, sizeof(g->valid) - vo, "%s%s%s%s%s",
				       vo ? ", " : "", o->lng ? "--" : "", o->lng ? o->lng : one,
				       o->metavar ? " " : "", o->metavar ? o->metavar : "");
	}
	g->lo[n] = (struct option){"help", no_argument, NULL, 'h'};
	if (!vo)
		snprintf(g->valid, sizeof(g->valid), "none");
}

void nb_cli_getopt_reset(void)
{
	optind = 0;
	opterr = 0;
}

int nb_cli_bad_opt(const struct nb_cli_cmd *c, const struct nb_cli_getopt *g, int rc, char **argv)
{
	nb_err("%s: %s \"%s\" (valid: %s; see numabench help %s)", c->name,
	       rc == ':' ? "missing value for" : "unknown option", argv[optind - 1], g->valid,
	       c->name);
	return NB_EXIT_USAGE;
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

/* --help or -h among the command's own options, as getopt reads them with the command's table
 * (a value is never taken for -h, -h as a value is no help): before "--", and for a command
 * whose operands belong to someone else (guest), before its first operand. On a copy of argv:
 * getopt permutes it. */
static bool wants_help(const struct nb_cli_cmd *c, int argc, char **argv)
{
	struct nb_cli_getopt g;
	char **copy = malloc(((size_t)argc + 1) * sizeof(*copy));
	bool help = false;
	if (!copy)
		abort();
	memcpy(copy, argv, (size_t)argc * sizeof(*copy));
	copy[argc] = NULL;
	nb_cli_getopt_init(&g, c);
	nb_cli_getopt_reset();
	for (int k; !help && (k = getopt_long(argc, copy, g.optstring, g.lo, NULL)) != -1;)
		help = k == 'h';
	free(copy);
	nb_cli_getopt_reset();
	return help;
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
	const struct nb_cli_cmd *c = nb_cli_find(cmd);
	struct nb_cli_getopt g;
	int json = 0, k;
	nb_cli_getopt_init(&g, c);
	nb_cli_getopt_reset();
	while ((k = getopt_long(argc, argv, g.optstring, g.lo, NULL)) != -1) {
		if (k != 'J') {
			nb_cli_bad_opt(c, &g, k, argv);
			return -1;
		}
		json = 1;
	}
	if (optind < argc) {
		nb_err("%s: unknown argument \"%s\" (valid: %s; see numabench help %s)", cmd,
		       argv[optind], g.valid, cmd);
		return -1;
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
