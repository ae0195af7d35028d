/* numabench events: its command line; the listing is harness/counters/listing.c. */
#include "cli.h"
#include "counters.h"
#include "selfcheck.h"

#include <stdio.h>
#include <string.h>

int nb_cmd_events(int argc, char **argv)
{
	bool json = false, all = false, selfcheck = false;
	char list[4096] = "", err[512];
	const struct nb_cli_cmd *cmd = nb_cli_find("events");
	struct nb_cli_getopt g;
	int k;
	nb_cli_getopt_init(&g, cmd);
	nb_cli_getopt_reset();
	while ((k = getopt_long(argc, argv, g.optstring, g.lo, NULL)) != -1) {
		if (k == 'J')
			json = true;
		else if (k == 'a')
			all = true;
		else if (k == 'S')
			selfcheck = true;
		else if (k == 'h') {
			nb_cli_help(cmd, stdout);
			return NB_EXIT_OK;
		} else
			return nb_cli_bad_opt(cmd, &g, k, argv);
	}
	for (int i = optind; i < argc; i++) {
		size_t n = strlen(list);
		snprintf(list + n, sizeof(list) - n, "%s%s", n ? "," : "", argv[i]);
	}
	if (selfcheck) {
		int code = NB_EXIT_OK;
		json_t *sc = nb_counter_selfcheck(list, &code, err, sizeof(err));
		if (!sc) {
			nb_err("%s", err);
			return NB_EXIT_USAGE;
		}
		json_dumpf(sc, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
		fputc('\n', stdout);
		json_decref(sc);
		return code;
	}
	json_t *doc = nb_events_listing(list, all, err, sizeof(err));
	if (!doc) {
		nb_err("%s", err);
		return NB_EXIT_USAGE;
	}
	if (json)
		json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_SORT_KEYS);
	else
		nb_events_print(doc);
	if (json)
		fputc('\n', stdout);
	json_decref(doc);
	return NB_EXIT_OK;
}
