/* numabench: list, topo, knobs, restore. */
#include "bench.h"
#include "cmds.h"
#include "tunables.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *nb_configs_dir(void);

static int want_json(int argc, char **argv, const char *cmd)
{
	int json = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = 1;
		else {
			nb_err("%s: unknown argument \"%s\" (valid: --json)", cmd, argv[i]);
			return -1;
		}
	}
	return json;
}

static void print_json(json_t *o)
{
	json_dumpf(o, stdout, JSON_INDENT(1) | JSON_SORT_KEYS);
	putchar('\n');
	json_decref(o);
}

static int load_ctx(struct nb_topo *t, struct nb_caps *c, struct nb_ctx *ctx)
{
	if (nb_topo_load(t))
		return -1;
	nb_caps_probe(c, t);
	memset(ctx, 0, sizeof(*ctx));
	ctx->topo = t;
	ctx->caps = c;
	if (nb_ctx_setup(ctx, NULL, NULL) == 0)
		return 0;
	nb_ctx_free(ctx);
	nb_caps_free(c);
	nb_topo_free(t);
	return -1;
}

static const char *ptype_name(enum nb_ptype t)
{
	static const char *const n[] = {"int", "size", "sizes", "enum", "enums", "double"};
	return n[t];
}

static json_t *suites_json(void)
{
	json_t *arr = json_array();
	DIR *d = opendir(nb_configs_dir());
	struct dirent *e;
	while (d && (e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (n > 5 && !strcmp(e->d_name + n - 5, ".json")) {
			char path[4096];
			snprintf(path, sizeof(path), "%s/%s", nb_configs_dir(), e->d_name);
			json_t *doc = json_load_file(path, 0, NULL);
			const char *desc = json_string_value(json_object_get(doc, "description"));
			json_array_append_new(arr, json_pack("{s:s%,s:s}", "name", e->d_name, n - 5,
							     "description", desc ? desc : ""));
			json_decref(doc);
		}
	}
	if (d)
		closedir(d);
	return arr;
}

int nb_cmd_list(int argc, char **argv)
{
	int json = want_json(argc, argv, "list");
	struct nb_topo t;
	struct nb_caps c;
	struct nb_ctx ctx;
	if (json < 0)
		return NB_EXIT_USAGE;
	if (load_ctx(&t, &c, &ctx))
		return NB_EXIT_ENV;
	json_t *benches = json_array();
	for (int i = 0; nb_benches[i]; i++) {
		const struct nb_bench *b = nb_benches[i];
		const char *why = NULL;
		int mem[NB_MAX_NODES];
		if ((b->req & NB_REQ_ROOT) && !c.root)
			why = "needs root";
		else if ((b->req & NB_REQ_2NODES) && nb_ctx_mem_nodes(&ctx, mem) < 2)
			why = "needs at least 2 NUMA nodes with memory";
		else if (b->probe)
			why = b->probe(&ctx);
		json_t *params = json_array();
		for (int k = 0; b->params && b->params[k].name; k++) {
			const struct nb_param_def *d = &b->params[k];
			json_t *pj = json_pack("{s:s,s:s,s:s,s:s,s:s}", "name", d->name, "type",
					       ptype_name(d->type), "unit", d->unit, "default",
					       d->def, "help", d->help);
			if (d->choices)
				json_object_set_new(pj, "choices", json_string(d->choices));
			if (d->type != NB_P_ENUM && d->type != NB_P_ENUMS)
				json_object_set_new(pj, "range",
						    json_pack("[f,f]", d->min, d->max));
			json_array_append_new(params, pj);
		}
		json_array_append_new(benches,
				      json_pack("{s:s,s:s,s:b,s:s?,s:o}", "name", b->name,
						"summary", b->summary, "supported", why == NULL,
						"reason", why, "params", params));
	}
	json_t *out = json_pack("{s:o,s:o}", "benches", benches, "suites", suites_json());
	if (json) {
		print_json(out);
	} else {
		size_t i;
		json_t *b;
		printf("benches:\n");
		json_array_foreach(benches, i, b)
		{
			const char *r = json_string_value(json_object_get(b, "reason"));
			printf("  %-10s %s%s%s%s\n", json_string_value(json_object_get(b, "name")),
			       json_string_value(json_object_get(b, "summary")),
			       r ? " [skips here: " : "", r ? r : "", r ? "]" : "");
			size_t k;
			json_t *p;
			json_array_foreach(json_object_get(b, "params"), k, p)
			    printf("      %s.%s (%s%s%s, default %s): %s\n",
				   json_string_value(json_object_get(b, "name")),
				   json_string_value(json_object_get(p, "name")),
				   json_string_value(json_object_get(p, "type")),
				   json_object_get(p, "choices") ? " " : "",
				   json_object_get(p, "choices")
				       ? json_string_value(json_object_get(p, "choices"))
				       : "",
				   json_string_value(json_object_get(p, "default"))[0]
				       ? json_string_value(json_object_get(p, "default"))
				       : "auto",
				   json_string_value(json_object_get(p, "help")));
		}
		printf("suites:\n");
		json_array_foreach(json_object_get(out, "suites"), i, b)
		    printf("  %-10s %s\n", json_string_value(json_object_get(b, "name")),
			   json_string_value(json_object_get(b, "description")));
		json_decref(out);
	}
	nb_ctx_free(&ctx);
	nb_caps_free(&c);
	nb_topo_free(&t);
	return 0;
}

int nb_cmd_topo(int argc, char **argv)
{
	int json = want_json(argc, argv, "topo");
	struct nb_topo t;
	struct nb_caps c;
	if (json < 0)
		return NB_EXIT_USAGE;
	if (nb_topo_load(&t))
		return NB_EXIT_ENV;
	nb_caps_probe(&c, &t);
	json_t *o =
	    json_pack("{s:o,s:o}", "topology", nb_topo_json(&t), "capabilities", nb_caps_json(&c));
	if (json) {
		print_json(o);
		nb_caps_free(&c);
		nb_topo_free(&t);
		return 0;
	}
	printf("%d NUMA node(s), %d cpus, %d PU per core\n", t.nnodes, t.ncpus, t.smt);
	for (int i = 0; i < t.nnodes; i++) {
		const struct nb_node *n = &t.nodes[i];
		struct bitmask *b = nb_set_new(NB_MAX_CPUS);
		for (int k = 0; k < n->ncpus; k++)
			numa_bitmask_setbit(b, (unsigned)n->cpus[k]);
		char *cpus = nb_set_str(b);
		printf("  node %d: %.1f GiB, cpus %s\n", n->id, n->memory_bytes / 1073741824.0,
		       n->ncpus && cpus ? cpus : "none (memory-only)");
		free(cpus);
		numa_bitmask_free(b);
	}
	if (t.have_distances) {
		printf("distances:\n     ");
		for (int j = 0; j < t.nnodes; j++)
			printf("%5d", t.nodes[j].id);
		for (int i = 0; i < t.nnodes; i++) {
			printf("\n  %2d ", t.nodes[i].id);
			for (int j = 0; j < t.nnodes; j++)
				printf("%5llu", (unsigned long long)t.distances[i][j]);
		}
		printf("\n");
	}
	const struct nb_tiering *tg = &t.tiering;
	if (!tg->present || !tg->ntiers) {
		printf("memory tiers: none (%s)\n", tg->reason);
	} else {
		printf("memory tiers (fastest first):\n");
		for (int i = 0; i < tg->ntiers; i++) {
			printf("  memory_tier%d: nodes", tg->tiers[i].id);
			for (int k = 0; k < tg->tiers[i].nnodes; k++)
				printf("%s%d", k ? "," : " ", tg->tiers[i].nodes[k]);
			printf("\n");
		}
	}
	printf("demotion_enabled: %s\n", tg->demotion_enabled < 0 ? "absent"
					 : tg->demotion_enabled	  ? "true"
								  : "false");
	printf("capabilities: ");
	json_dumpf(json_object_get(o, "capabilities"), stdout, JSON_SORT_KEYS | JSON_COMPACT);
	printf("\n");
	json_decref(o);
	nb_caps_free(&c);
	nb_topo_free(&t);
	return 0;
}

int nb_cmd_knobs(int argc, char **argv)
{
	int json = want_json(argc, argv, "knobs");
	if (json < 0)
		return NB_EXIT_USAGE;
	json_t *arr = json_array();
	for (const struct nb_tunable *t = nb_tunables; t->name; t++) {
		char v[64];
		const char *path = nb_tunable_path(t);
		int ok = nb_tunable_get(t, v, sizeof(v)) == 0;
		json_t *k =
		    json_pack("{s:s,s:s,s:s?,s:s,s:s,s:s,s:s,s:o,s:b}", "name", t->name, "path",
			      path ? path : t->path, "oldpath", t->oldpath, "type", t->type, "unit",
			      t->unit, "needs", t->needs, "help", t->help, "value",
			      ok ? json_string(v) : json_null(), "present", path != NULL);
		if (t->choices)
			json_object_set_new(k, "choices", json_string(t->choices));
		else
			json_object_set_new(
			    k, "range", json_pack("[I,I]", (json_int_t)t->min, (json_int_t)t->max));
		json_array_append_new(arr, k);
	}
	if (json) {
		print_json(json_pack("{s:o}", "tunables", arr));
		return 0;
	}
	printf("%-24s %-10s %-22s %-13s %s\n", "knob", "value", "valid", "needs", "path");
	size_t i;
	json_t *k;
	json_array_foreach(arr, i, k)
	{
		char valid[64];
		json_t *r = json_object_get(k, "range");
		if (r)
			snprintf(valid, sizeof(valid), "%lld..%lld %s",
				 (long long)json_integer_value(json_array_get(r, 0)),
				 (long long)json_integer_value(json_array_get(r, 1)),
				 json_string_value(json_object_get(k, "unit")));
		else
			snprintf(valid, sizeof(valid), "%s",
				 json_string_value(json_object_get(k, "choices")));
		const char *v = json_string_value(json_object_get(k, "value"));
		printf("%-24s %-10s %-22s %-13s %s\n",
		       json_string_value(json_object_get(k, "name")), v ? v : "(absent)", valid,
		       json_string_value(json_object_get(k, "needs")),
		       json_string_value(json_object_get(k, "path")));
	}
	json_decref(arr);
	return 0;
}

int nb_cmd_restore(int argc, char **argv)
{
	(void)argv;
	if (argc > 1) {
		nb_err("restore takes no arguments");
		return NB_EXIT_USAGE;
	}
	/* main() already restored an orphaned journal; this reports the state. */
	int n = nb_tunables_restore(true);
	if (n < 0)
		return NB_EXIT_ENV;
	printf("journal %s: nothing left to restore\n", nb_journal_path());
	return 0;
}
