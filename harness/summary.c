/* numabench: what a run prints on stdout when it ends: one line per bench (status, headline,
 * reason), then the untrustworthy cells and what to do next. */
#include "runner.h"

#include <stdio.h>
#include <string.h>

static const char *headline(json_t *run, char *buf, size_t len)
{
	json_t *ms = json_object_get(run, "metrics");
	const char *k;
	json_t *m;
	buf[0] = 0;
	if (json_is_string(json_object_get(run, "headline"))) {
		snprintf(buf, len, "%s", json_string_value(json_object_get(run, "headline")));
		return buf;
	}
	json_object_foreach(ms, k, m)
	{
		snprintf(buf, len, "%s %.4g %s", k, json_number_value(json_object_get(m, "median")),
			 json_string_value(json_object_get(m, "unit")));
		break;
	}
	return buf;
}

static void summary(json_t *runs)
{
	size_t i;
	json_t *r;
	printf("%-10s %-14s %-44s %s\n", "bench", "status", "headline (median)", "reason");
	json_array_foreach(runs, i, r)
	{
		char h[128];
		const char *reason = json_string_value(json_object_get(r, "reason"));
		printf("%-10s %-14s %-44s %s\n", json_string_value(json_object_get(r, "bench")),
		       json_string_value(json_object_get(r, "status")), headline(r, h, sizeof(h)),
		       reason ? reason : "");
	}
}

/* One line per untrustworthy cell (at most 20), then what to do next: a run whose figures are not
 * known says which and how to get them. */
static void untrustworthy_cells(json_t *runs, const char *path)
{
	size_t i, j;
	json_t *r, *c;
	int shown = 0, total = 0;
	const char *first = NULL;
	json_array_foreach(runs, i, r)
	{
		const char *b = json_string_value(json_object_get(r, "bench"));
		json_array_foreach(json_object_get(r, "cells"), j, c)
		{
			const char *st = json_string_value(json_object_get(c, "status"));
			if (!st || strcmp(st, nb_status_name(NB_UNTRUSTWORTHY)))
				continue;
			if (!total++) {
				printf("\nuntrustworthy cells (the figure is not known to the "
				       "precision the "
				       "rule asks for):\n");
				first = b;
			}
			if (shown >= 20)
				continue;
			char where[160] = "";
			size_t w = 0;
			const char *k;
			json_t *v;
			if (json_is_integer(json_object_get(c, "cpu_node")))
				w = snprintf(
				    where, sizeof(where), " cpu node %lld -> mem node %lld",
				    (long long)json_integer_value(json_object_get(c, "cpu_node")),
				    (long long)json_integer_value(json_object_get(c, "mem_node")));
			json_object_foreach(c, k, v)
			{
				if (w >= sizeof(where) - 1)
					break;
				if (json_is_string(v) && strcmp(k, "status") && strcmp(k, "reason"))
					w += snprintf(where + w, sizeof(where) - w, " %s=%s", k,
						      json_string_value(v));
				else if (json_is_integer(v) && !strcmp(k, "threads"))
					w += snprintf(where + w, sizeof(where) - w, " %s=%lld", k,
						      (long long)json_integer_value(v));
			}
			const char *why = json_string_value(json_object_get(c, "reason"));
			printf("  %-9s%s: %s\n", b, where, why ? why : "");
			shown++;
		}
	}
	if (!total)
		return;
	if (total > shown)
		printf("  ... and %d more (numabench report %s)\n", total - shown, path);
	printf("what to do next: run again with nothing else busy on this machine; take more "
	       "samples (numabench run %s --repeat 64); or accept a wider CI (--set "
	       "%s.ci_max=0.10). "
	       "The verdicts are in %s (cells[].status, cells[].reason).\n",
	       first, first, path);
}

void nb_run_summary(json_t *runs, const char *path)
{
	summary(runs);
	untrustworthy_cells(runs, path);
}
