/* numabench `report`, `compare` and `fleet`: the analysis layer, behind getopt tables built from
 * the commands' option tables. */
#include "analysis.h"
#include "cli.h"

int nb_cli_an_parse(const struct nb_cli_cmd *c, int argc, char **argv, bool compare,
		    struct an_opts *o)
{
	struct nb_cli_getopt g;
	nb_cli_getopt_init(&g, c);
	struct an_getopt ag = {g.lo, g.optstring, g.valid};
	return an_parse_args(argc, argv, compare, &ag, o);
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
	struct nb_cli_getopt g;
	nb_cli_getopt_init(&g, nb_cli_find("fleet"));
	struct an_getopt ag = {g.lo, g.optstring, g.valid};
	return an_run_fleet(argc, argv, &ag);
}
