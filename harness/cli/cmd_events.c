/* numabench events: its command line; the listing is harness/counters/listing.c. */
#include "counters.h"
#include "selfcheck.h"

#include <stdio.h>
#include <string.h>

static int events_usage(FILE *f, int code)
{
	fprintf(f,
		"usage: numabench events [--json] [--all] [EVENT,...]\n"
		"       numabench events --selfcheck [EVENT,...]\n"
		"  Lists the counter events usable here: the default set (hardware roles for\n"
		"  this CPU, software events, NUMA tracepoints), or the events named.\n"
		"  --all   also every event of the core PMUs libpfm4 detected here (uncore\n"
		"          PMUs need system-wide counting and are not listed)\n"
		"  --json  machine-readable output\n"
		"  --selfcheck  count a loop of known length: the instructions counted must\n"
		"          equal those executed (exact under QEMU -icount), the default set must\n"
		"          not be multiplexed; with EVENTS, which of them the kernel rotated and\n"
		"          by how much. JSON on stdout; exit 1 when a check failed\n");
	return code;
}

int nb_cmd_events(int argc, char **argv)
{
	bool json = false, all = false, selfcheck = false;
	char list[4096] = "", err[512];
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else if (!strcmp(argv[i], "--all"))
			all = true;
		else if (!strcmp(argv[i], "--selfcheck"))
			selfcheck = true;
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return events_usage(stdout, NB_EXIT_OK);
		else if (argv[i][0] == '-') {
			nb_err("events: unknown option '%s' (see numabench events --help)",
			       argv[i]);
			return NB_EXIT_USAGE;
		} else {
			size_t n = strlen(list);
			snprintf(list + n, sizeof(list) - n, "%s%s", n ? "," : "", argv[i]);
		}
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
