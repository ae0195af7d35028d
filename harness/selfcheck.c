/* numabench: the hardware-counter self-check: a loop of known instruction count, the default
 * set never multiplexed, and what the kernel rotated when asked for more events than counters. */
#include "selfcheck.h"
#include "counters.h"
#include "kernels.h"

#include <stdio.h>
#include <string.h>

#define SC_SHORT 1000000ull
#define SC_LONG 10000000ull
/* User instructions outside the loop between enable and disable: a few dozen (the ioctl
 * wrappers' tails); more means something else was counted. */
#define SC_MAX_OVERHEAD 1000

/* The user-mode instructions event: libpfm4's perf PMU name, else the Arm core PMUs' name
 * (LIBPFM_FORCE_PMU=arm_n1 and the like), else Intel's. */
static const char *const insn_events[] = {"instructions:u", "INST_RETIRED:u",
					  "INST_RETIRED:ANY_P:u"};

/* Run the loop of n iterations under c; fills the counter's JSON (taken from the set's). */
static json_t *count_loop(struct nb_counters *c, uint64_t n)
{
	nb_counters_start(c);
	nb_insn_loop(n);
	nb_counters_stop(c);
	return nb_counters_json(c);
}

static int64_t jint(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

static json_t *insn_check(const char **status, char *reason, size_t rlen)
{
	json_t *o = json_object();
	struct nb_counters *c = NULL;
	const char *ev = NULL;
	char err[256];
	for (size_t i = 0; !c && i < sizeof(insn_events) / sizeof(insn_events[0]); i++) {
		c = nb_counters_new(insn_events[i], err, sizeof(err));
		ev = insn_events[i];
	}
	if (!c || nb_counters_open(c, 0, -1, false) <= 0) {
		json_t *arr = c ? nb_counters_json(c) : NULL,
		       *e = arr ? json_array_get(arr, 0) : NULL;
		snprintf(reason, rlen, "no user-mode instructions event opens here%s%s",
			 e ? ": " : "",
			 e ? json_string_value(json_object_get(e, "reason")) ?: "" : "");
		*status = "skipped";
		json_decref(arr);
		nb_counters_free(c);
		return o;
	}
	uint64_t n[2] = {SC_SHORT, SC_LONG};
	int64_t v[2] = {0, 0}, ena = 0, run = 0;
	json_t *counted = json_array(), *over = json_array();
	for (int i = 0; i < 2; i++) {
		json_t *arr = count_loop(c, n[i]), *e = json_array_get(arr, 0);
		v[i] = jint(e, "value");
		ena = jint(e, "time_enabled");
		run = jint(e, "time_running");
		if (i == 1)
			json_object_set(o, "counter", e);
		json_array_append_new(counted, json_integer(v[i]));
		json_array_append_new(over,
				      json_integer(v[i] - (int64_t)(NB_INSN_PER_ITER * n[i])));
		json_decref(arr);
	}
	nb_counters_free(c);
	int64_t want = (int64_t)(NB_INSN_PER_ITER * (n[1] - n[0])), got = v[1] - v[0];
	int64_t overhead = v[0] - (int64_t)(NB_INSN_PER_ITER * n[0]);
	json_object_set_new(o, "event", json_string(ev));
	json_object_set_new(o, "insn_per_iteration", json_integer(NB_INSN_PER_ITER));
	json_object_set_new(o, "iterations",
			    json_pack("[I,I]", (json_int_t)n[0], (json_int_t)n[1]));
	json_object_set_new(o, "counted", counted);
	json_object_set_new(o, "overhead", over);
	json_object_set_new(o, "difference_counted", json_integer(got));
	json_object_set_new(o, "difference_executed", json_integer(want));
	json_object_set_new(o, "exact", json_boolean(got == want));
	if (v[0] == 0 && v[1] == 0)
		snprintf(
		    reason, rlen,
		    "%s counted 0 instructions for %llu executed (QEMU TCG counts instructions "
		    "only under -icount: numabench guest --icount)",
		    ev, (unsigned long long)(NB_INSN_PER_ITER * n[1]));
	else if (got != want)
		snprintf(reason, rlen,
			 "%s: the longer loop counted %lld more instructions, %lld were executed",
			 ev, (long long)got, (long long)want);
	else if (overhead < 0 || overhead > SC_MAX_OVERHEAD)
		snprintf(reason, rlen, "%s: %lld instructions besides the loop (valid: 0..%d)", ev,
			 (long long)overhead, SC_MAX_OVERHEAD);
	else if (run < ena)
		snprintf(reason, rlen, "%s ran %lld of %lld ns enabled: multiplexed", ev,
			 (long long)run, (long long)ena);
	*status = reason[0] ? "failed" : "ok";
	return o;
}

/* Hardware counters of arr that ran less than they were enabled: [{event, time_enabled,
 * time_running, running_ratio}]. *hw: how many hardware counters opened. */
static json_t *rotated(json_t *arr, int *hw)
{
	json_t *out = json_array(), *e;
	size_t i;
	*hw = 0;
	json_array_foreach(arr, i, e)
	{
		if (strcmp(json_string_value(json_object_get(e, "kind")) ?: "", "hardware") ||
		    !json_is_true(json_object_get(e, "available")))
			continue;
		(*hw)++;
		int64_t ena = jint(e, "time_enabled"), run = jint(e, "time_running");
		if (run >= ena)
			continue;
		json_array_append_new(
		    out, json_pack("{s:O,s:I,s:I,s:f}", "event", json_object_get(e, "event"),
				   "time_enabled", (json_int_t)ena, "time_running", (json_int_t)run,
				   "running_ratio", ena ? (double)run / ena : 0.0));
	}
	return out;
}

json_t *nb_counter_selfcheck(const char *rotate, int *code, char *err, size_t errlen)
{
	struct nb_counters *rot = NULL;
	if (rotate && *rotate && !(rot = nb_counters_new(rotate, err, errlen)))
		return NULL;
	json_t *doc = json_object();
	char reason[300] = "";
	const char *status = "skipped";
	json_object_set_new(doc, "schema", json_string(NB_SELFCHECK_SCHEMA));
	if (!nb_insn_loop_exact()) {
		snprintf(reason, sizeof(reason), "no loop of known instruction count for this cpu");
	} else {
		json_object_set_new(doc, "instructions",
				    insn_check(&status, reason, sizeof(reason)));
	}
	/* The default set over the long loop: no hardware counter multiplexed. */
	struct nb_counters *def = nb_counters_new(NULL, err, errlen);
	if (def && nb_insn_loop_exact()) {
		nb_counters_open(def, 0, -1, false);
		json_t *arr = count_loop(def, SC_LONG), *d = json_object();
		int hw = 0;
		json_t *mux = rotated(arr, &hw);
		json_object_set_new(d, "hardware_available", json_integer(hw));
		json_object_set_new(d, "multiplexed", mux);
		json_object_set_new(d, "counters", arr);
		json_object_set_new(doc, "default_set", d);
		if (json_array_size(mux) && strcmp(status, "failed")) {
			snprintf(reason, sizeof(reason),
				 "%zu hardware counters of the default set were multiplexed",
				 json_array_size(mux));
			status = "failed";
		}
	}
	nb_counters_free(def);
	if (rot) {
		nb_counters_open(rot, 0, -1, false);
		json_t *arr = count_loop(rot, SC_LONG), *r = json_object();
		int hw = 0;
		json_object_set_new(r, "rotated", rotated(arr, &hw));
		json_object_set_new(r, "hardware_available", json_integer(hw));
		json_object_set_new(r, "events", json_string(rotate));
		json_object_set_new(r, "counters", arr);
		json_object_set_new(doc, "rotation", r);
		nb_counters_free(rot);
	}
	json_object_set_new(doc, "status", json_string(status));
	if (reason[0])
		json_object_set_new(doc, "reason", json_string(reason));
	*code = strcmp(status, "failed") ? NB_EXIT_OK : NB_EXIT_FAILED;
	return doc;
}
