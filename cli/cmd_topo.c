/* numabench `topo`: the machine as `numactl -H` shows it (nodes with cpus as ranges, size and
 * free memory, the distance matrix), plus HMAT memory attributes, caches and capabilities. */
#include "cli.h"
#include "topo.h"

#include <stdlib.h>
#include <string.h>

static void print_nodes(const struct nb_topo *t)
{
	struct bitmask *all = nb_set_new(NB_MAX_NODE_ID);
	for (int i = 0; i < t->nnodes; i++)
		numa_bitmask_setbit(all, (unsigned)t->nodes[i].id);
	char *ids = nb_set_str(all);
	printf("available: %d nodes (%s), %d cpus, %d PU per core%s\n", t->nnodes, ids ? ids : "",
	       t->ncpus, t->smt, t->replayed ? " (replayed topology)" : "");
	printf("source: %s\n", t->source);
	free(ids);
	numa_bitmask_free(all);
	for (int i = 0; i < t->nnodes; i++) {
		const struct nb_node *n = &t->nodes[i];
		struct bitmask *b = nb_set_new((unsigned)t->cpu_slots);
		for (int k = 0; k < n->ncpus; k++)
			numa_bitmask_setbit(b, (unsigned)n->cpus[k]);
		char *cpus = nb_set_str(b);
		if (n->ncpus && cpus)
			printf("node %d cpus: %s%s%s%s\n", n->id, cpus, n->kind[0] ? " (" : "",
			       n->kind, n->kind[0] ? ")" : "");
		else
			printf("node %d cpus: (none: memory-only node%s%s)\n", n->id,
			       n->kind[0] ? ", " : "", n->kind);
		printf("node %d size: %llu MB\n", n->id,
		       (unsigned long long)(n->memory_bytes >> 20));
		uint64_t fr = t->replayed ? 0 : nb_node_free_bytes(n->id);
		if (fr)
			printf("node %d free: %llu MB\n", n->id, (unsigned long long)(fr >> 20));
		else
			printf("node %d free: unknown\n", n->id);
		free(cpus);
		numa_bitmask_free(b);
	}
}

static void print_distances(const struct nb_topo *t)
{
	if (!t->have_distances) {
		printf("node distances: none published\n");
		return;
	}
	int w = 4;
	for (int i = 0; i < t->nnodes; i++)
		for (int j = 0; j < t->nnodes; j++) {
			char b[32];
			int n =
			    snprintf(b, sizeof(b), "%llu", (unsigned long long)t->distances[i][j]);
			if (n + 1 > w)
				w = n + 1;
		}
	printf("node distances:\nnode");
	for (int j = 0; j < t->nnodes; j++)
		printf("%*d", w, t->nodes[j].id);
	for (int i = 0; i < t->nnodes; i++) {
		printf("\n%3d:", t->nodes[i].id);
		for (int j = 0; j < t->nnodes; j++)
			printf("%*llu", w, (unsigned long long)t->distances[i][j]);
	}
	printf("\n");
}

/* memattrs: {"latency": [{target, initiator_cpus, value}], "bandwidth": [...], "units": {}} */
static void print_memattrs(const struct nb_topo *t)
{
	if (!t->memattrs) {
		printf("memory attributes (HMAT): none published\n");
		return;
	}
	printf("memory attributes (HMAT):\n");
	json_t *units = json_object_get(t->memattrs, "units");
	const char *name;
	json_t *list;
	json_object_foreach(t->memattrs, name, list)
	{
		size_t i;
		json_t *e;
		if (!json_is_array(list))
			continue;
		const char *unit = json_string_value(json_object_get(units, name));
		json_array_foreach(list, i, e) printf(
		    "  %-10s node %lld from cpus %s: %lld %s\n", name,
		    (long long)json_integer_value(json_object_get(e, "target")),
		    json_string_value(json_object_get(e, "initiator_cpus"))
			? json_string_value(json_object_get(e, "initiator_cpus"))
			: "?",
		    (long long)json_integer_value(json_object_get(e, "value")), unit ? unit : "");
	}
}

/* Memory tiers as the kernel shows them (memory_tiering in sysfs), fastest first. */
static void print_tiers(const struct nb_topo *t)
{
	const struct nb_tiering *tg = &t->tiering;
	if (!tg->present || !tg->ntiers) {
		printf("memory tiers: none (%s)\n", tg->reason);
	} else {
		printf("memory tiers (fastest first%s%s):\n", tg->source[0] ? "; " : "",
		       tg->source);
		for (int i = 0; i < tg->ntiers; i++) {
			printf("  %s%d: nodes", tg->source[0] ? "tier " : "memory_tier",
			       tg->tiers[i].id);
			for (int k = 0; k < tg->tiers[i].nnodes; k++)
				printf("%s%d", k ? "," : " ", tg->tiers[i].nodes[k]);
			printf("\n");
		}
	}
	printf("demotion_enabled: %s\n", tg->demotion_enabled < 0 ? "absent"
					 : tg->demotion_enabled	  ? "true"
								  : "false");
}

static void print_caches(const struct nb_topo *t)
{
	size_t i;
	json_t *c;
	if (!json_array_size(t->caches)) {
		printf("caches: none reported\n");
		return;
	}
	printf("caches:\n");
	json_array_foreach(t->caches, i, c)
	{
		char sz[32];
		nb_fmt_size((uint64_t)json_integer_value(json_object_get(c, "size_bytes")), sz,
			    sizeof(sz));
		printf("  L%lld  %6s each, %3lld of them, %lld-byte lines\n",
		       (long long)json_integer_value(json_object_get(c, "level")), sz,
		       (long long)json_integer_value(json_object_get(c, "count")),
		       (long long)json_integer_value(json_object_get(c, "line_bytes")));
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Capabilities as aligned "key: value" lines, in key order. */
static void print_caps(json_t *caps)
{
	const char *k;
	json_t *v;
	int w = 0;
	json_object_foreach(caps, k, v) if ((int)strlen(k) > w) w = (int)strlen(k);
	printf("capabilities:\n");
	const char **keys = calloc(json_object_size(caps) + 1, sizeof(*keys));
	size_t n = 0;
	json_object_foreach(caps, k, v) keys[n++] = k;
	qsort(keys, n, sizeof(*keys), cmp_str);
	for (size_t i = 0; i < n; i++) {
		v = json_object_get(caps, keys[i]);
		printf("  %s:%*s ", keys[i], w - (int)strlen(keys[i]), "");
		if (json_is_string(v))
			printf("%s\n", json_string_value(v)[0] ? json_string_value(v) : "(none)");
		else if (json_is_boolean(v))
			printf("%s\n", json_is_true(v) ? "yes" : "no");
		else if (json_is_integer(v))
			printf("%lld\n", (long long)json_integer_value(v));
		else if (json_is_null(v))
			printf("(unknown)\n");
		else {
			json_dumpf(v, stdout, JSON_COMPACT);
			printf("\n");
		}
	}
	free(keys);
}

int nb_cmd_topo(int argc, char **argv)
{
	int json = nb_cli_want_json(argc, argv, "topo");
	struct nb_topo t;
	struct nb_caps c;
	if (json < 0)
		return NB_EXIT_USAGE;
	int lrc = nb_topo_load(&t);
	if (lrc)
		return nb_topo_exit_code(lrc);
	nb_caps_probe(&c, &t);
	json_t *o =
	    json_pack("{s:o,s:o}", "topology", nb_topo_json(&t), "capabilities", nb_caps_json(&c));
	if (json) {
		/* Free memory per node, as the text shows it (unknown for a replayed topology). */
		size_t i;
		json_t *n;
		json_array_foreach(json_object_get(json_object_get(o, "topology"), "nodes"), i, n)
		{
			uint64_t fr = t.replayed ? 0 : nb_node_free_bytes(t.nodes[i].id);
			json_object_set_new(n, "free_bytes",
					    fr ? json_integer((json_int_t)fr) : json_null());
		}
		nb_cli_print_json(o, "topo");
	} else {
		print_nodes(&t);
		print_distances(&t);
		print_memattrs(&t);
		print_tiers(&t);
		print_caches(&t);
		print_caps(json_object_get(o, "capabilities"));
		json_decref(o);
	}
	nb_caps_free(&c);
	nb_topo_free(&t);
	return 0;
}
