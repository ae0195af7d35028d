/* numabench bench `balance`: NUMA tracepoint counts (task placement decisions, migration
 * calls), system-wide on every cpu of the run, when tracefs allows. */
#include "balance/balance.h"
#include "counters.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const tp_events[] = {"sched:sched_move_numa", "sched:sched_swap_numa",
					"sched:sched_stick_numa", "migrate:mm_migrate_pages"};
const char *const bal_tp_keys[] = {"sched_move_numa", "sched_swap_numa", "sched_stick_numa",
				   "mm_migrate_pages_calls"};

void bal_tp_open(struct bal *b, json_t *run)
{
	char err[256] = "";
	const char *why = NULL;
	char list[256];
	snprintf(list, sizeof(list), "%s,%s,%s,%s", tp_events[0], tp_events[1], tp_events[2],
		 tp_events[3]);
	b->tp = calloc((size_t)b->ctx->ncpus, sizeof(*b->tp));
	for (int i = 0; b->tp && i < b->ctx->ncpus && !why; i++) {
		struct nb_counters *c = nb_counters_new(list, err, sizeof(err));
		if (!c) {
			why = err;
			break;
		}
		b->tp[b->ntp++] = c;
		if (nb_counters_open(c, -1, b->ctx->cpus[i], false) <= 0) {
			json_t *all = nb_counters_json(c);
			const char *r =
			    json_string_value(json_object_get(json_array_get(all, 0), "reason"));
			snprintf(err, sizeof(err), "%s", r ? r : "tracepoints could not be opened");
			json_decref(all);
			why = err;
		}
	}
	json_t *o = json_pack("{s:s,s:b}", "scope", "system-wide, every cpu of the run",
			      "available", why == NULL);
	if (why) {
		json_object_set_new(o, "reason", json_string(why));
		for (int i = 0; i < b->ntp; i++)
			nb_counters_free(b->tp[i]);
		b->ntp = 0;
	}
	json_object_set_new(run, "tracepoints", o);
}

void bal_tp_close(struct bal *b)
{
	for (int i = 0; i < b->ntp; i++)
		nb_counters_free(b->tp[i]);
	free(b->tp);
	b->tp = NULL;
	b->ntp = 0;
}

void bal_tp_control(struct bal *b, void (*fn)(struct nb_counters *))
{
	for (int i = 0; i < b->ntp; i++)
		fn(b->tp[i]);
}

/* Counts since start, summed over cpus; false when unavailable. */
bool bal_tp_read(struct bal *b, int64_t out[4])
{
	if (!b->ntp)
		return false;
	memset(out, 0, 4 * sizeof(int64_t));
	for (int i = 0; i < b->ntp; i++) {
		nb_counters_read(b->tp[i]);
		for (int e = 0; e < 4; e++) {
			int64_t v = nb_counters_value(b->tp[i], tp_events[e]);
			out[e] = out[e] < 0 || v < 0 ? -1 : out[e] + v;
		}
	}
	return true;
}
