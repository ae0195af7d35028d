/* numabench bench `tier`: the tunables it changes and puts back, recorded in
 * run["tunables_bench"] ({knob: {before, set | error, restored}}, values as text) and, for
 * numa_balancing and the scan tunables, run["balancing_tunables"] (harness/scan.h, the shape
 * every bench shares). numa_balancing and the scan delay/period (lowered to scan_ms, as balance
 * does) go through harness/scan.c; demotion_enabled and the sweep knobs through the journaled
 * tunables table. The journal keeps the originals for the runner. */
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
 * to scan_ms (0: leave them). */
void tier_knobs_begin(struct tier *t, json_t *knobs)
{
	nb_scan_begin(&t->scan);
	const struct nb_scan_knob *nb = &t->scan.k[NB_SCAN_BALANCING];
	json_object_set_new(knobs, "numa_balancing",
			    nb->before_text[0]
				? json_pack("{s:s}", "before", nb->before_text)
				: json_pack("{s:s}", "error", "absent on this kernel"));
	for (int i = NB_SCAN_DELAY; i <= NB_SCAN_PERIOD_MIN; i++) {
		struct nb_scan_knob *k = &t->scan.k[i];
		json_t *o = json_object();
		json_object_set_new(knobs, k->name, o);
		if (t->scan_ms)
			nb_scan_lower(&t->scan, (enum nb_scan_knob_id)i, (long)t->scan_ms,
				      t->ctx->caps->root);
		if (!k->before_text[0]) {
			json_object_set_new(
			    o, "error", json_string("absent (debugfs not mounted?): not lowered"));
			continue;
		}
		json_object_set_new(o, "before", json_string(k->before_text));
		if (t->scan_ms && !k->lowered)
			json_object_set_new(o, "error", json_string(k->note));
		else if (t->scan_ms)
			json_object_set_new(o, "set",
					    json_sprintf("%llu", (unsigned long long)t->scan_ms));
	}
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

static const struct nb_scan_knob *scan_knob(const struct tier *t, const char *name)
{
	for (int i = 0; i < NB_SCAN_NKNOBS; i++)
		if (!strcmp(t->scan.k[i].name, name))
			return &t->scan.k[i];
	return NULL;
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
		const struct nb_scan_knob *sk = scan_knob(t, key);
		if (sk) {
			if (sk->restore_tried && json_object_get(o, "before"))
				json_object_set_new(o, "restored", json_boolean(sk->restored));
			continue;
		}
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
