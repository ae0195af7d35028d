/* numabench atlas and atlas-report: their command lines; the run is nb_atlas_run
 * (harness/guest/atlas.c), the report an_run_atlas_report (analysis/atlas_report.c). */
#include "analysis.h"
#include "atlas.h"
#include "cli.h"
#include "nb.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static int atlas_bad(int c, char **argv)
{
	nb_err("atlas: %s %s (valid: --kernels, -o, --cache, --force, --timeout, --no-tier, "
	       "--fresh)",
	       c == ':' ? "missing value for" : "unknown option", argv[optind - 1]);
	return NB_EXIT_USAGE;
}

int nb_cmd_atlas(int argc, char **argv)
{
	static const struct option lo[] = {{"kernels", required_argument, NULL, 'k'},
					   {"output", required_argument, NULL, 'o'},
					   {"cache", required_argument, NULL, 'c'},
					   {"force", required_argument, NULL, 'f'},
					   {"timeout", required_argument, NULL, 'T'},
					   {"no-tier", no_argument, NULL, 'N'},
					   {"fresh", no_argument, NULL, 'F'},
					   {"verbose", no_argument, NULL, 'v'},
					   {NULL, 0, NULL, 0}};
	struct nb_atlas_opts o = {.kernels = "6.1,6.12", .force = "always", .timeout = 1200};
	uint64_t v;
	int c;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:v", lo, NULL)) != -1) {
		switch (c) {
		case 'k':
			o.kernels = optarg;
			break;
		case 'o':
			o.out = optarg;
			break;
		case 'c':
			o.cache = optarg;
			break;
		case 'f':
			o.force = optarg;
			break;
		case 'T':
			if (nb_parse_u64(optarg, &v) || v < 1 || v > 86400) {
				nb_err("atlas: --timeout %s is not valid (valid: 1..86400 seconds)",
				       optarg);
				return NB_EXIT_USAGE;
			}
			o.timeout = (unsigned)v;
			break;
		case 'N':
			o.no_tier = true;
			break;
		case 'F':
			o.fresh = true;
			break;
		case 'v':
			nb_verbose++;
			break;
		default:
			return atlas_bad(c, argv);
		}
	}
	if (optind < argc) {
		nb_err("atlas: unexpected argument %s (valid: options only; see numabench atlas "
		       "--help)",
		       argv[optind]);
		return NB_EXIT_USAGE;
	}
	return nb_atlas_run(&o);
}

int nb_cmd_atlas_report(int argc, char **argv)
{
	struct an_opts o;
	int rc = an_parse_args(argc, argv, false, &o);
	return rc ? rc : an_run_atlas_report(&o);
}
