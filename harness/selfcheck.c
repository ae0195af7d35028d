/* numabench: the hardware-counter self-check: a loop of known instruction count, the default
 * set never multiplexed, and what the kernel rotated when asked for more events than counters. */
#include "selfcheck.h"
#include "counters.h"
#include "kernels.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define SC_SHORT 1000000ull
#define SC_LONG 10000000ull
#define SC_REPEAT 3
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
	json_t *counted = json_array(), *over = json_array(), *samples = json_array();
	/* SC_REPEAT counts of each length, the lowest kept: what else gets counted only adds (an
	 * arm64 TCG guest once counted ~3000 more user instructions per emulated ms, right after
	 * boot), so the lowest is the loop's own; every count is kept in samples. */
	for (int i = 0; i < 2; i++) {
		json_t *row = json_array();
		for (int r = 0; r < SC_REPEAT; r++) {
			json_t *arr = count_loop(c, n[i]), *e = json_array_get(arr, 0);
			int64_t x = jint(e, "value");
			json_array_append_new(row, json_integer(x));
			if (r == 0 || x < v[i]) {
				v[i] = x;
				ena = jint(e, "time_enabled");
				run = jint(e, "time_running");
				if (i == 1)
					json_object_set(o, "counter", e);
			}
			json_decref(arr);
		}
		json_array_append_new(samples, row);
		json_array_append_new(counted, json_integer(v[i]));
		json_array_append_new(over,
				      json_integer(v[i] - (int64_t)(NB_INSN_PER_ITER * n[i])));
	}
	json_object_set_new(o, "samples", samples);
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
		snprintf(
		    reason, rlen,
		    "%s: the longer loop counted %lld more instructions, %lld were executed%s", ev,
		    (long long)got, (long long)want,
		    sysconf(_SC_NPROCESSORS_ONLN) > 1
			? " (other cpus online: under QEMU -icount a vCPU's counter also counts "
			  "what the other vCPUs execute)"
			: "");
	else if (overhead < 0 || overhead > SC_MAX_OVERHEAD)
		snprintf(reason, rlen, "%s: %lld instructions besides the loop (valid: 0..%d)", ev,
			 (long long)overhead, SC_MAX_OVERHEAD);
	else if (run < ena)
		snprintf(reason, rlen, "%s ran %lld of %lld ns enabled: multiplexed", ev,
			 (long long)run, (long long)ena);
	*status = reason[0] ? "failed" : "ok";
	return o;
}

/* Hardware counters of arr that ran less than they were enabled: those that ran some of the
 * time (rotated: [{event, time_enabled, time_running, running_ratio}]) and those that never ran
 * (never_scheduled: a group the kernel accepted but cannot fit in the counters). *hw: how many
 * hardware counters opened. */
static void rotated(json_t *arr, json_t *rot, json_t *never, int *hw)
{
	json_t *e;
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
		json_array_append_new(run > 0 ? rot : never,
				      json_pack("{s:O,s:I,s:I,s:f}", "event",
						json_object_get(e, "event"), "time_enabled",
						(json_int_t)ena, "time_running", (json_int_t)run,
						"running_ratio", ena ? (double)run / ena : 0.0));
	}
}

/* {rotated, never_scheduled, hardware_available, counters} of arr, into o. */
static void rotation_json(json_t *o, json_t *arr)
{
	json_t *rot = json_array(), *never = json_array();
	int hw = 0;
	rotated(arr, rot, never, &hw);
	json_object_set_new(o, "rotated", rot);
	json_object_set_new(o, "never_scheduled", never);
	json_object_set_new(o, "hardware_available", json_integer(hw));
	json_object_set_new(o, "counters", arr);
}

/* Each event of the list in a set (a group) of its own, all counting the same loop: the
 * kernel rotates groups that do not fit the counters together. */
static json_t *rotation_single(const char *list)
{
	char buf[4096], err[256];
	struct nb_counters *c[64];
	int n = 0;
	snprintf(buf, sizeof(buf), "%s", list);
	for (char *save = NULL, *ev = strtok_r(buf, ",", &save); ev && n < 64;
	     ev = strtok_r(NULL, ",", &save))
		if ((c[n] = nb_counters_new(ev, err, sizeof(err))))
			nb_counters_open(c[n++], 0, -1, false);
	for (int i = 0; i < n; i++)
		nb_counters_start(c[i]);
	nb_insn_loop(SC_LONG);
	for (int i = 0; i < n; i++)
		nb_counters_stop(c[i]);
	json_t *arr = json_array(), *o = json_object();
	for (int i = 0; i < n; i++) {
		json_t *t = nb_counters_json(c[i]);
		json_array_extend(arr, t); /* takes references: drop the temporary's own */
		json_decref(t);
		nb_counters_free(c[i]);
	}
	rotation_json(o, arr);
	return o;
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
	/* Under QEMU -icount one global instruction count feeds every vCPU's PMU: an exact count
	 * needs the other cpus offline (tests/guest/arm64-selfcheck-in-guest.sh). */
	json_object_set_new(doc, "cpus_online", json_integer(sysconf(_SC_NPROCESSORS_ONLN)));
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
		rotation_json(d, arr);
		size_t mux = json_array_size(json_object_get(d, "rotated")) +
			     json_array_size(json_object_get(d, "never_scheduled"));
		json_object_set_new(doc, "default_set", d);
		if (mux && strcmp(status, "failed")) {
			snprintf(reason, sizeof(reason),
				 "%zu hardware counters of the default set ran less than enabled",
				 mux);
			status = "failed";
		}
	}
	nb_counters_free(def);
	if (rot) {
		/* As a run opens them (the set's groups), and one group per event. */
		nb_counters_open(rot, 0, -1, false);
		json_t *arr = count_loop(rot, SC_LONG), *r = json_object(), *g = json_object();
		rotation_json(g, arr);
		nb_counters_free(rot);
		json_object_set_new(r, "events", json_string(rotate));
		json_object_set_new(r, "as_a_set", g);
		json_object_set_new(r, "one_group_each", rotation_single(rotate));
		json_object_set_new(doc, "rotation", r);
	}
	json_object_set_new(doc, "status", json_string(status));
	if (reason[0])
		json_object_set_new(doc, "reason", json_string(reason));
	*code = strcmp(status, "failed") ? NB_EXIT_OK : NB_EXIT_FAILED;
	return doc;
}
