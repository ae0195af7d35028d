/* numabench: counter cross-checks. Without a PMU they say so instead of guessing. */
#include "crosscheck.h"
#include "counters.h"

#include <stdio.h>

struct nb_counters *nb_crosscheck_begin(const struct nb_ctx *ctx)
{
	char err[256];
	if (!ctx->caps->pmu)
		return NULL;
	struct nb_counters *c =
	    nb_counters_new("llc-misses,dram-local,dram-remote", err, sizeof(err));
	if (!c)
		return NULL;
	if (nb_counters_open(c, 0, -1, true) <= 0) {
		nb_counters_free(c);
		return NULL;
	}
	nb_counters_start(c);
	return c;
}

json_t *nb_crosscheck_end(struct nb_counters *c, bool remote_expected, double expected_bytes)
{
	if (!c)
		return json_pack("{s:b,s:s}", "available", 0, "reason",
				 "no hardware PMU (or the DRAM events are unknown for this CPU)");
	nb_counters_stop(c);
	int64_t loc = nb_counters_value(c, "dram-local"), rem = nb_counters_value(c, "dram-remote");
	int64_t llc = nb_counters_value(c, "llc-misses");
	json_t *o = json_pack("{s:b,s:b,s:o}", "available", 1, "remote_expected", remote_expected,
			      "counters", nb_counters_json(c));
	if (loc >= 0 && rem >= 0 && loc + rem > 0) {
		double share = (double)rem / (double)(loc + rem);
		json_object_set_new(o, "remote_share", json_real(share));
		/* Agreement: most DRAM traffic where the placement says it should be. */
		json_object_set_new(o, "agrees",
				    json_boolean(remote_expected ? share >= 0.8 : share <= 0.2));
	} else {
		json_object_set_new(
		    o, "reason", json_string("local/remote DRAM events unavailable on this CPU"));
	}
	if (llc >= 0 && expected_bytes > 0)
		json_object_set_new(o, "traffic_ratio", json_real(llc * 64.0 / expected_bytes));
	nb_counters_free(c);
	return o;
}
