/* numabench analysis: the command line shared by report and compare. */
#include "an_cli.h"
#include "an_stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int usage_error(const char *cmd, const char *what, const char *arg,
		       const struct an_getopt *g)
{
	nb_err("%s: %s \"%s\" (valid: %s; see numabench help %s)", cmd, what, arg, g->valid, cmd);
	return NB_EXIT_USAGE;
}

static int parse_opt(int c, const char *cmd, const struct an_getopt *g, struct an_opts *o,
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

int an_parse_args(int argc, char **argv, bool compare, const struct an_getopt *g, struct an_opts *o)
{
	const char *cmd = argv[0];
	int c, rc;
	*o = (struct an_opts){.fmt = AN_TEXT, .threshold = NAN, .practical = AN_PRACTICAL_PCT};
	optind = 0; /* glibc: start over, the program may have parsed options before */
	opterr = 0;
	while ((c = getopt_long(argc, argv, g->optstring, g->lo, NULL)) != -1)
		if ((rc = parse_opt(c, cmd, g, o, argv)))
			return rc;
	o->files = argv + optind;
	o->nfiles = argc - optind;
	return check_files(cmd, compare, o);
}

bool an_use_color(const struct an_opts *o)
{
	const char *nc = getenv("NO_COLOR");
	return o->fmt == AN_TEXT && !o->out && isatty(STDOUT_FILENO) && !(nc && *nc);
}
