/* numabench: counter cross-checks, read from the run's own counters (never a second hardware
 * group competing with them). Without a PMU they say so instead of guessing. */
#include "crosscheck.h"
#include "counters.h"

#include <stdio.h>

#define CC_DRAM "dram-local,dram-remote"

static struct nb_counters *run_set;

void nb_crosscheck_attach(struct nb_counters *run)
{
	run_set = run;
}

struct nb_counters *nb_crosscheck_begin(const struct nb_ctx *ctx)
{
	char err[256];
	if (!ctx->caps->pmu || !run_set)
		return NULL;
	struct nb_counters *c = nb_counters_view(run_set, "llc-misses," CC_DRAM, err, sizeof(err));
	if (!c)
		return NULL;
	nb_counters_start(c);
	if (nb_counters_available(c) == 0) {
		nb_counters_free(c);
		return NULL;
	}
	return c;
}

/* The verdicts: each only from counters that ran (nearly) the whole cell. */
static void verdicts(json_t *o, const struct nb_counters *c, bool remote_expected,
		     double expected_bytes)
{
	char why[256];
	int64_t loc = nb_counters_value(c, "dram-local"), rem = nb_counters_value(c, "dram-remote");
	int64_t llc = nb_counters_value(c, "llc-misses");
	if (nb_counters_untrustworthy(c, CC_DRAM, NB_COUNTERS_MIN_RUNNING, why, sizeof(why))) {
		json_object_set_new(o, "reason", json_string(why));
	} else if (loc >= 0 && rem >= 0 && loc + rem > 0) {
		double share = (double)rem / (double)(loc + rem);
		json_object_set_new(o, "remote_share", json_real(share));
		/* Agreement: most DRAM traffic where the placement says it should be. */
		json_object_set_new(o, "agrees",
				    json_boolean(remote_expected ? share >= 0.8 : share <= 0.2));
	} else {
		json_object_set_new(
		    o, "reason", json_string("local/remote DRAM events unavailable on this CPU"));
	}
	if (llc >= 0 && expected_bytes > 0 &&
	    !nb_counters_untrustworthy(c, "llc-misses", NB_COUNTERS_MIN_RUNNING, NULL, 0))
		json_object_set_new(o, "traffic_ratio", json_real(llc * 64.0 / expected_bytes));
}

json_t *nb_crosscheck_end(struct nb_counters *c, bool remote_expected, double expected_bytes)
{
	if (!c)
		return json_pack("{s:b,s:s}", "available", 0, "reason",
				 "no hardware PMU, or the run's counters have none of llc-misses, "
				 "dram-local, dram-remote (see --events)");
	nb_counters_stop(c);
	json_t *o = json_pack("{s:b,s:b,s:o}", "available", 1, "remote_expected", remote_expected,
			      "counters", nb_counters_json(c));
	verdicts(o, c, remote_expected, expected_bytes);
	nb_counters_free(c);
	return o;
}
