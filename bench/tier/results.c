/* numabench bench `tier`: what the run reports beyond its cells. Owns run["scores"] (each
 * promotion and demotion cell against the two baselines: accuracy, time to home, wasted
 * migrations, accuracy and throughput between the slow and the fast baseline; the formulas
 * are rules.c's) and run["headline"]. */
#include "tier/tier.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static double cell_num(json_t *c, const char *k)
{
	json_t *v = json_object_get(c, k);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

static double hot_mbps(json_t *c)
{
	return cell_num(json_object_get(json_object_get(c, "metrics"), "hot_MBps"), "median");
}

void tier_scores(json_t *run)
{
	json_t *cells = json_object_get(run, "cells"), *c, *fast = NULL, *slow = NULL;
	size_t i;
	json_array_foreach(cells, i, c)
	{
		const char *b = json_string_value(json_object_get(c, "bound"));
		if (b && !strcmp(b, "fast"))
			fast = c;
		if (b && !strcmp(b, "slow"))
			slow = c;
	}
	json_t *out = json_array();
	json_array_foreach(cells, i, c)
	{
		const char *sc = json_string_value(json_object_get(c, "scenario"));
		if (strcmp(sc, "promotion") && strcmp(sc, "demotion"))
			continue;
		json_t *s = json_pack("{s:s,s:O,s:O,s:O,s:O}", "scenario", sc, "balancing",
				      json_object_get(c, "balancing"), "accuracy",
				      json_object_get(c, "accuracy"), "time_to_home_s",
				      json_object_get(c, "time_to_home_s"), "status",
				      json_object_get(c, "status"));
		double prom = cell_num(json_object_get(c, "vmstat"), "pgpromote_success");
		double wasted = cell_num(c, "promoted_then_demoted_pages");
		double cold = cell_num(c, "cold_promoted_pages");
		json_object_set_new(s, "wasted_migrations",
				    tier_jreal(nb_tier_wasted(wasted, cold)));
		json_object_set_new(s, "pgpromote_success", tier_jreal(prom));
		if (fast && slow) {
			json_object_set_new(s, "accuracy_vs_baselines",
					    tier_jreal(nb_tier_accuracy_vs_baselines(
						cell_num(c, "accuracy"), cell_num(fast, "accuracy"),
						cell_num(slow, "accuracy"))));
			json_object_set_new(s, "throughput_vs_baselines",
					    tier_jreal(nb_tier_throughput_vs_baselines(
						hot_mbps(c), hot_mbps(fast), hot_mbps(slow))));
			if (nb_timing_emulated)
				json_object_set_new(s, "throughput_emulated", json_true());
		}
		json_array_append_new(out, s);
	}
	json_object_set_new(run, "scores", out);
}

/* The headline: each promotion trial's accuracy (hot set's fast-tier share at the end). */
const struct nb_headline_rule tier_headline_rule = {
    .metric = "accuracy", .where = "scenario=promotion", .text = "hot set slow node -> fast node"};

void tier_headline(json_t *run, const struct tier *t)
{
	json_t *c;
	size_t i;
	char buf[512];
	int n =
	    snprintf(buf, sizeof(buf), "hot set slow node %d -> fast node %d:", t->slow, t->fast);
	json_array_foreach(json_object_get(run, "cells"), i, c)
	{
		if (!nb_fields_match(c, tier_headline_rule.where) || n >= (int)sizeof(buf) - 80)
			continue;
		double a = cell_num(c, tier_headline_rule.metric),
		       h = cell_num(c, "time_to_home_s");
		char hs[32] = "never";
		if (isfinite(h))
			snprintf(hs, sizeof(hs), "%.1f s%s", h, nb_timing_emulated ? "*" : "");
		n +=
		    snprintf(buf + n, sizeof(buf) - (size_t)n, " mode %d %.0f%% (home %s);",
			     (int)json_integer_value(json_object_get(c, "balancing")), 100 * a, hs);
	}
	if (nb_timing_emulated && n < (int)sizeof(buf) - 24)
		snprintf(buf + n, sizeof(buf) - (size_t)n, " *emulated");
	json_object_set_new(run, "headline", json_string(buf));
}
