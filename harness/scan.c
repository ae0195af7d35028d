/* numabench: one helper for the NUMA-balancing knobs a bench lowers and puts back (gup and
 * balance): numa_balancing and the scan tunables, read, written through the journaled
 * tunables table, restored, and recorded in one shape. See scan.h. */
#include "scan.h"
#include "tunables.h"

#include <stdio.h>
#include <string.h>

static const char *const knob_names[NB_SCAN_NKNOBS] = {
    "numa_balancing", "scan_delay_ms", "scan_period_min_ms", "scan_period_max_ms", "scan_size_mb"};

static long read_knob(const struct nb_tunable *t, char *buf, size_t len)
{
	uint64_t v;
	if (!t || nb_tunable_get(t, buf, len) || nb_parse_u64(buf, &v))
		return -1;
	return (long)v;
}

long nb_scan_value(enum nb_scan_knob_id id)
{
	char buf[64];
	return read_knob(nb_tunable_find(knob_names[id]), buf, sizeof(buf));
}

int nb_scan_set(enum nb_scan_knob_id id, long value, char *err, size_t len)
{
	char v[32];
	snprintf(v, sizeof(v), "%ld", value);
	return nb_tunable_set(nb_tunable_find(knob_names[id]), v, err, len);
}

void nb_scan_begin(struct nb_scan *s)
{
	memset(s, 0, sizeof(*s));
	for (int i = 0; i < NB_SCAN_NKNOBS; i++) {
		struct nb_scan_knob *k = &s->k[i];
		const struct nb_tunable *t = nb_tunable_find(knob_names[i]);
		k->name = knob_names[i];
		k->during = k->after = -1;
		k->before = read_knob(t, k->before_text, sizeof(k->before_text));
		if (!t)
			k->before_text[0] = 0;
	}
}

int nb_scan_lower(struct nb_scan *s, enum nb_scan_knob_id id, long value, bool root)
{
	struct nb_scan_knob *k = &s->k[id];
	int rc = -1;
	k->note[0] = 0;
	if (value < 0)
		snprintf(k->note, sizeof(k->note), "left as it is (parameter 0)");
	else if (!root)
		snprintf(k->note, sizeof(k->note), "unchanged: needs root");
	else if (k->before < 0)
		snprintf(k->note, sizeof(k->note), "unchanged: knob absent (no debugfs?)");
	else
		rc = nb_scan_set(id, value, k->note, sizeof(k->note));
	k->lowered = rc == 0;
	k->during = nb_scan_value(id);
	return rc;
}

void nb_scan_restore(struct nb_scan *s)
{
	char err[256];
	for (int i = 0; i < NB_SCAN_NKNOBS; i++) {
		struct nb_scan_knob *k = &s->k[i];
		if (k->before < 0)
			continue;
		k->restore_tried = true;
		/* only what this process wrote: a knob someone else changed meanwhile is theirs
		 * (and an unprivileged run, which wrote nothing, must not open the journal) */
		if (nb_tunable_written(k->name) &&
		    nb_scan_value((enum nb_scan_knob_id)i) != k->before)
			nb_scan_set((enum nb_scan_knob_id)i, k->before, err, sizeof(err));
		k->after = nb_scan_value((enum nb_scan_knob_id)i);
		k->restored = k->after == k->before;
	}
}

json_t *nb_scan_json(const struct nb_scan *s)
{
	json_t *o = json_object();
	for (int i = 0; i < NB_SCAN_NKNOBS; i++) {
		const struct nb_scan_knob *k = &s->k[i];
		json_t *e = json_pack("{s:o,s:o,s:o,s:b,s:o}", "before", nb_json_count(k->before),
				      "during", nb_json_count(k->during), "after",
				      nb_json_count(k->after), "lowered", k->lowered, "restored",
				      k->restore_tried ? json_boolean(k->restored) : json_null());
		if (k->note[0])
			json_object_set_new(e, "note", json_string(k->note));
		json_object_set_new(o, k->name, e);
	}
	return o;
}
