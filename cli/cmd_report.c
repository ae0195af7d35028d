/* numabench `report`, `compare`, `atlas-report` and `fleet`: their arguments parsed with the
 * getopt tables built from the commands' option tables, then the analysis layer runs. */
#include "analysis.h"
#include "an_stats.h"
#include "cli.h"

#include <getopt.h>
#include <math.h>
#include <string.h>

static int usage_error(const char *cmd, const char *what, const char *arg,
		       const struct nb_cli_getopt *g)
{
	nb_err("%s: %s \"%s\" (valid: %s; see numabench help %s)", cmd, what, arg, g->valid, cmd);
	return NB_EXIT_USAGE;
}

static int parse_opt(int c, const char *cmd, const struct nb_cli_getopt *g, struct an_opts *o,
		     char **argv)
{
	switch (c) {
	case 'f':
		if (an_fmt_parse(optarg, &o->fmt)) {
			nb_err("%s: unknown format \"%s\" (valid: text, md, html, csv, json)", cmd,
			       optarg);
			return NB_EXIT_USAGE;
		}
		return 0;
	case 'o':
		o->out = optarg;
		return 0;
	case 't':
		if (nb_parse_double(optarg, &o->threshold) || o->threshold < 0) {
			nb_err("%s: bad --threshold \"%s\" (valid: a percentage >= 0, e.g. 5)", cmd,
			       optarg);
			return NB_EXIT_USAGE;
		}
		return 0;
	case 'p':
		if (nb_parse_double(optarg, &o->practical) || !(o->practical >= 0) ||
		    o->practical > 100) {
			nb_err("%s: bad --practical \"%s\" (valid: a percentage 0..100, e.g. 2)",
			       cmd, optarg);
			return NB_EXIT_USAGE;
		}
		return 0;
	case 'u':
		o->untrusted = true;
		return 0;
	case 'q':
		o->bh = true;
		return 0;
	case ':':
		return usage_error(cmd, "option needs a value:", argv[optind - 1], g);
	default:
		return usage_error(cmd, "unknown option", argv[optind - 1], g);
	}
}

static int check_files(const char *cmd, bool compare, const struct an_opts *o)
{
	if (compare && o->nfiles < 2) {
		nb_err(
		    "compare: needs a baseline and at least one other result (usage: "
		    "numabench compare A.json B.json... [--format text|md|html|csv|json] [-o FILE] "
		    "[--threshold PCT] [--practical PCT] [--include-untrustworthy] [--fdr])");
		return NB_EXIT_USAGE;
	}
	if (!compare && o->nfiles != 1) {
		nb_err("%s: needs exactly one result file, got %d (usage: numabench report "
		       "RESULT.json [--format text|md|html|csv|json] [-o FILE])",
		       cmd, o->nfiles);
		return NB_EXIT_USAGE;
	}
	return 0;
}

/* compare accepts --threshold and 2+ files, report exactly one. 0, or NB_EXIT_USAGE after
 * one error line. argv[0] is the command name. */
int nb_cli_an_parse(const struct nb_cli_cmd *cmd, int argc, char **argv, bool compare,
		    struct an_opts *o)
{
	struct nb_cli_getopt g;
	const char *name = argv[0];
	int c, rc;
	nb_cli_getopt_init(&g, cmd);
	*o = (struct an_opts){.fmt = AN_TEXT, .threshold = NAN, .practical = AN_PRACTICAL_PCT};
	optind = 0; /* glibc: start over, the program may have parsed options before */
	opterr = 0;
	while ((c = getopt_long(argc, argv, g.optstring, g.lo, NULL)) != -1)
		if ((rc = parse_opt(c, name, &g, o, argv)))
			return rc;
	o->files = argv + optind;
	o->nfiles = argc - optind;
	return check_files(name, compare, o);
}

static int fleet_usage(const char *what, const char *arg, const struct nb_cli_getopt *g)
{
	nb_err("fleet: %s \"%s\" (valid: %s; see numabench help fleet)", what, arg, g->valid);
	return NB_EXIT_USAGE;
}

static int fleet_parse(int argc, char **argv, struct an_fleet_opts *o)
{
	struct nb_cli_getopt g;
	int c;
	nb_cli_getopt_init(&g, nb_cli_find("fleet"));
	*o = (struct an_fleet_opts){.fmt = AN_TEXT, .z = NAN, .pct = NAN};
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, g.optstring, g.lo, NULL)) != -1) {
		if (c == 'f' && an_fmt_parse(optarg, &o->fmt)) {
			nb_err("fleet: unknown format \"%s\" (valid: text, md, html, csv, json)",
			       optarg);
			return NB_EXIT_USAGE;
		} else if (c == 'o') {
			o->out = optarg;
		} else if (c == 'z' && (nb_parse_double(optarg, &o->z) || !(o->z > 0))) {
			nb_err("fleet: bad --z \"%s\" (valid: a number > 0, e.g. 3.5)", optarg);
			return NB_EXIT_USAGE;
		} else if (c == 't' && (nb_parse_double(optarg, &o->pct) || !(o->pct >= 0))) {
			nb_err("fleet: bad --threshold \"%s\" (valid: a percentage >= 0, e.g. 5)",
			       optarg);
			return NB_EXIT_USAGE;
		} else if (c == ':') {
			return fleet_usage("option needs a value:", argv[optind - 1], &g);
		} else if (c == '?' || c == 'h') {
			return fleet_usage("unknown option", argv[optind - 1], &g);
		}
	}
	if (optind >= argc) {
		nb_err(
		    "fleet: needs results files or folders (usage: numabench fleet FILES|DIRS... "
		    "[--format text|md|html|csv|json] [-o FILE] [--z THRESHOLD] [--threshold "
		    "PCT])");
		return NB_EXIT_USAGE;
	}
	o->paths = argv + optind;
	o->npaths = argc - optind;
	return 0;
}

int nb_cmd_report(int argc, char **argv)
{
	struct an_opts o;
	int rc = nb_cli_an_parse(nb_cli_find("report"), argc, argv, false, &o);
	return rc ? rc : an_run_report(&o);
}

int nb_cmd_compare(int argc, char **argv)
{
	struct an_opts o;
	int rc = nb_cli_an_parse(nb_cli_find("compare"), argc, argv, true, &o);
	return rc ? rc : an_run_compare(&o);
}

int nb_cmd_fleet(int argc, char **argv)
{
	struct an_fleet_opts o;
	int rc = fleet_parse(argc, argv, &o);
	return rc ? rc : an_run_fleet(&o);
}
