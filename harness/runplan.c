/* numabench `run --plan`: every bench's plan on this topology (a replay included), as JSON
 * (numabench.plan/1) or text; nothing runs, no tunable changes, no results file. */
#include "calib.h"
#include "counters.h"
#include "paths.h"
#include "runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The counters a bench run opens: the run's set (each event, its kind, what it needs and its
 * group on this host's PMU: nb_counters_plan); *groups: the grouping itself (the PMU, rotate,
 * groups, ...) without the events. */
static json_t *plan_counters(const struct nb_ctx *ctx, json_t **groups)
{
	char err[256];
	struct nb_counters *c = nb_counters_new(ctx->events, err, sizeof(err));
	json_t *g = nb_counters_plan(c, NULL), *a = json_incref(json_object_get(g, "events"));
	json_object_del(g, "events");
	*groups = g;
	nb_counters_free(c);
	return a ? a : json_array();
}

json_t *nb_plan_doc(const struct nb_ctx *ctx, struct nb_run_opts *o)
{
	json_t *benches = json_array();
	double total = 0;
	/* A replay is another machine: this host's results say nothing of its costs. */
	json_t *calib = ctx->topo->replayed || ctx->topo->fsroot_replay
			    ? json_array()
			    : nb_calib_load(nb_calib_dir());
	for (int i = 0; i < o->njobs; i++) {
		const struct nb_job *j = &o->jobs[i];
		json_t *b =
		    json_pack("{s:s,s:o}", "bench", j->b->name, "params", nb_params_json(&j->p));
		const char *why = nb_bench_why(ctx, j->b);
		json_t *pl = !why && j->b->plan ? j->b->plan(ctx, &j->p) : NULL;
		if (why) {
			json_object_set_new(b, "status", json_string("skipped"));
			json_object_set_new(b, "reason", json_string(why));
		} else if (!pl) {
			json_object_set_new(b, "status", json_string("no_plan"));
			json_object_set_new(b, "reason",
					    json_string("this bench does not publish a plan: its "
							"cells are decided while it runs"));
		} else {
			json_object_set_new(b, "status", json_string("planned"));
			json_object_update(b, pl);
		}
		if (!why) {
			json_t *canon = nb_params_canonical(&j->p), *info;
			double m = pl ? json_number_value(json_object_get(pl, "estimate_s")) : -1;
			double e = nb_calib_estimate(calib, j->b->name, canon, m, &info);
			json_decref(canon);
			json_object_set_new(b, "estimate_model_s",
					    m >= 0 ? json_real(m) : json_null());
			json_object_set_new(b, "estimate_s", e >= 0 ? json_real(e) : json_null());
			if (info)
				json_object_set_new(b, "calibration", info);
			total += e > 0 ? e : 0;
		}
		if (pl) {
			json_t *groups;
			json_object_set_new(b, "counters", plan_counters(ctx, &groups));
			json_object_set_new(b, "counter_groups", groups);
		}
		json_decref(pl);
		json_array_append_new(benches, b);
	}
	json_decref(calib);
	json_t *nodes = json_array(), *cpus = json_array();
	for (int i = 0; i < ctx->nnodes; i++)
		json_array_append_new(nodes, json_integer(ctx->nodes[i]));
	for (int i = 0; i < ctx->ncpus; i++)
		json_array_append_new(cpus, json_integer(ctx->cpus[i]));
	/* The tunables the run would set (--set knob.NAME=VALUE): listed, never applied. */
	json_t *knobs = json_object();
	for (int i = 0; i < o->nsets; i++) {
		const char *eq = strchr(o->sets[i], '=');
		if (strncmp(o->sets[i], "knob.", 5) || !eq)
			continue;
		char name[64];
		snprintf(name, sizeof(name), "%.*s", (int)(eq - o->sets[i] - 5), o->sets[i] + 5);
		json_object_set_new(knobs, name, json_string(eq + 1));
	}
	return json_pack("{s:s,s:b,s:o,s:o,s:o,s:o,s:f}", "schema", "numabench.plan/1", "replayed",
			 ctx->topo->replayed, "nodes", nodes, "cpus", cpus, "benches", benches,
			 "knobs", knobs, "estimate_s", total);
}

static void plan_print(json_t *doc)
{
	size_t i, j, k;
	json_t *b, *c, *e;
	json_array_foreach(json_object_get(doc, "benches"), i, b)
	{
		printf("%s: %s", json_string_value(json_object_get(b, "bench")),
		       json_string_value(json_object_get(b, "status")));
		if (json_object_get(b, "reason"))
			printf(" (%s)", json_string_value(json_object_get(b, "reason")));
		json_t *cells = json_object_get(b, "cells"),
		       *cal = json_object_get(b, "calibration");
		if (cells)
			printf(", %zu cells", json_array_size(cells));
		if (json_is_number(json_object_get(b, "estimate_s")))
			printf(", about %.1f s",
			       json_number_value(json_object_get(b, "estimate_s")));
		if (cal)
			printf(" (%s %.1f s measured in %s)", cells ? "scaled to the" : "as the",
			       json_number_value(json_object_get(cal, "measured_s")),
			       json_string_value(json_object_get(cal, "file")));
		printf("\n");
		json_array_foreach(cells, j, c)
		{
			char sz[32];
			nb_fmt_size((uint64_t)json_integer_value(json_object_get(c, "bytes")), sz,
				    sizeof(sz));
			printf("  ");
			const char *key;
			json_t *v;
			json_object_foreach(c, key, v)
			{
				if (json_is_integer(v) && strcmp(key, "bytes") &&
				    strcmp(key, "size_bytes"))
					printf("%s=%lld ", key, (long long)json_integer_value(v));
				else if (json_is_string(v))
					printf("%s=%s ", key, json_string_value(v));
			}
			printf("bytes=%s cpus=", sz);
			json_array_foreach(json_object_get(c, "cpus"), k, e)
			    printf("%s%lld(%s)", k ? "," : "",
				   (long long)json_integer_value(json_object_get(e, "cpu")),
				   json_string_value(json_object_get(e, "role")));
			json_t *r = json_object_get(c, "size_rule");
			if (r)
				printf(" size_rule=%s%s",
				       json_string_value(json_object_get(r, "rule")),
				       json_is_true(json_object_get(r, "capped")) ? " (capped)"
										  : "");
			printf("\n");
		}
		const char *node;
		json_t *v;
		json_object_foreach(json_object_get(b, "memory_per_node"), node, v)
		{
			char sz[32];
			nb_fmt_size((uint64_t)json_integer_value(v), sz, sizeof(sz));
			printf("  memory on node %s: %s\n", node, sz);
		}
	}
	const char *kn;
	json_t *kv;
	json_object_foreach(json_object_get(doc, "knobs"), kn, kv)
	    printf("would set %s=%s (not applied by --plan)\n", kn, json_string_value(kv));
	printf("total: about %.1f s\n", json_number_value(json_object_get(doc, "estimate_s")));
}

int nb_run_plan(struct nb_run_opts *o)
{
	struct nb_topo topo;
	struct nb_caps caps;
	struct nb_ctx ctx;
	if (o->out) {
		nb_err(
		    "--plan writes no file (it prints the plan; --json > FILE keeps it): drop -o "
		    "%s",
		    o->out);
		return NB_EXIT_USAGE;
	}
	int lrc = nb_topo_load(&topo);
	if (lrc)
		return nb_topo_exit_code(lrc);
	nb_caps_probe(&caps, &topo);
	int rc = NB_EXIT_USAGE;
	if (nb_ctx_prepare(&ctx, &topo, &caps, o))
		goto out;
	json_t *doc = nb_plan_doc(&ctx, o);
	if (o->json) {
		char *txt = json_dumps(doc, JSON_INDENT(1) | JSON_SORT_KEYS);
		printf("%s\n", txt ? txt : "null");
		free(txt);
	} else {
		plan_print(doc);
	}
	json_decref(doc);
	rc = NB_EXIT_OK;
out:
	nb_ctx_free(&ctx);
	nb_caps_free(&caps);
	nb_topo_free(&topo);
	return rc;
}
