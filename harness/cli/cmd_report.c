/* numabench `report`, `compare` and `fleet`: the analysis layer, behind its argument parser. */
#include "analysis.h"
#include "cli.h"

int nb_cmd_report(int argc, char **argv)
{
	struct an_opts o;
	int rc = an_parse_args(argc, argv, false, &o);
	return rc ? rc : an_run_report(&o);
}

int nb_cmd_compare(int argc, char **argv)
{
	struct an_opts o;
	int rc = an_parse_args(argc, argv, true, &o);
	return rc ? rc : an_run_compare(&o);
}

int nb_cmd_fleet(int argc, char **argv)
{
	return an_run_fleet(argc, argv);
}
