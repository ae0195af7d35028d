/* numabench bench `tier`: the tunables it changes and puts back, recorded in
 * run["tunables_bench"] (demotion_enabled and the sweep knobs: {knob: {before, set | error,
 * restored}}, values as text) and, for numa_balancing and the scan tunables,
 * run["balancing_tunables"] (harness/scan.h, the shape every bench shares; numabench.result/1
 * also wrote those into tunables_bench). numa_balancing and the scan delay/period (lowered to
 * scan_ms, as balance does) go through harness/scan.c; demotion_enabled and the sweep knobs through
 * the journaled tunables table. The journal keeps the originals for the runner. */
#include "tier/tier.h"
#include "tunables.h"

#include <stdio.h>
#include <string.h>

int tier_set_knob(const char *name, const char *value, char *err, size_t len)
{
	const struct nb_tunable *k = nb_tunable_find(name);
	return k ? nb_tunable_set(k, value, err, len) : -1;
}

/* Read numa_balancing and the scan tunables, and lower scan_delay_ms and scan_period_min_ms
 * to scan_ms (0: leave them); recorded in run["balancing_tunables"] by tier_knobs_restore. */
void tier_knobs_begin(struct tier *t)
{
	nb_scan_begin(&t->scan);
	for (int i = NB_SCAN_DELAY; t->scan_ms && i <= NB_SCAN_PERIOD_MIN; i++)
		nb_scan_lower(&t->scan, (enum nb_scan_knob_id)i, (long)t->scan_ms,
			      t->ctx->caps->root);
}

/* Record a knob's value before the bench changes it (once). */
void tier_knobs_remember(json_t *knobs, const char *name)
{
	char before[64];
	const struct nb_tunable *k = nb_tunable_find(name);
	if (json_object_get(knobs, name))
		return;
	json_object_set_new(knobs, name,
			    k && !nb_tunable_get(k, before, sizeof(before))
				? json_pack("{s:s}", "before", before)
				: json_pack("{s:s}", "error", "absent on this kernel"));
}

/* Put back what the bench changed, so later benches of the run see the run's settings. */
void tier_knobs_restore(struct tier *t, json_t *knobs, json_t *run)
{
	const char *key;
	json_t *o;
	char err[256];
	nb_scan_restore(&t->scan);
	json_object_foreach(knobs, key, o)
	{
		const char *before = json_string_value(json_object_get(o, "before"));
		const struct nb_tunable *k = nb_tunable_find(key);
		char now[64];
		if (!before || !k || nb_tunable_get(k, now, sizeof(now)))
			continue;
		bool ok = !strcmp(now, before) || !nb_tunable_set(k, before, err, sizeof(err));
		json_object_set_new(o, "restored", json_boolean(ok));
	}
	json_object_set_new(run, "balancing_tunables", nb_scan_json(&t->scan));
}
