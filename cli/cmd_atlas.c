/* numabench atlas and atlas-report: their command lines; the run is nb_atlas_run
 * (harness/guest/atlas.c), the report an_run_atlas_report (analysis/atlas_report.c). */
#include "analysis.h"
#include "atlas.h"
#include "cli.h"
#include "nb.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

int nb_cmd_atlas(int argc, char **argv)
{
	const struct nb_cli_cmd *cmd = nb_cli_find("atlas");
	struct nb_cli_getopt g;
	struct nb_atlas_opts o = {.kernels = "6.1,6.12", .force = "always", .timeout = 1200};
	uint64_t v;
	int c;
	nb_cli_getopt_init(&g, cmd);
	nb_cli_getopt_reset();
	while ((c = getopt_long(argc, argv, g.optstring, g.lo, NULL)) != -1) {
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
			return nb_cli_bad_opt(cmd, &g, c, argv);
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
	int rc = nb_cli_an_parse(nb_cli_find("atlas-report"), argc, argv, false, &o);
	return rc ? rc : an_run_atlas_report(&o);
}
