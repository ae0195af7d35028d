/* numabench guest runner: guest topologies, configs/guests/NAME.json, read and validated
 * against the rules QEMU and Linux impose (nodes, cpus, memory, SLIT distances, HMAT). */
#include "guest_int.h"
#include "paths.h"
#include "results.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "2node, 2node-hmat, ..." from configs/guests, sorted. */
static void list_topologies(char *out, size_t len)
{
	const char *d = nb_data_dir();
	char dir[PATH_MAX + 32], *names[64];
	int n = 0;
	out[0] = 0;
	snprintf(dir, sizeof(dir), "%s/configs/guests", d ? d : ".");
	DIR *dp = opendir(dir);
	struct dirent *e;
	while (dp && n < 64 && (e = readdir(dp))) {
		size_t l = strlen(e->d_name);
		if (l > 5 && !strcmp(e->d_name + l - 5, ".json"))
			names[n++] = strndup(e->d_name, l - 5);
	}
	if (dp)
		closedir(dp);
	qsort(names, (size_t)n, sizeof(names[0]), name_cmp);
	for (int i = 0; i < n; i++) {
		size_t used = strlen(out);
		snprintf(out + used, len - used, "%s%s", used ? ", " : "",
			 names[i] ? names[i] : "");
		free(names[i]);
	}
}

/* NAME -> DATA/configs/guests/NAME.json; anything with a '/' or ".json" is a file. */
static int topo_path(const char *arg, struct gtopo *t)
{
	size_t n = strlen(arg);
	bool file = strchr(arg, '/') || (n > 5 && !strcmp(arg + n - 5, ".json"));
	const char *d = nb_data_dir();
	if (file)
		return path_fmt(t->path, sizeof(t->path), "%s", arg);
	if (n == 0 || n >= sizeof(t->name) ||
	    strspn(arg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLM"
			"NOPQRSTUVWXYZ0123456789._-") != n ||
	    !d) {
		char names[512];
		list_topologies(names, sizeof(names));
		nb_err("guest: unknown topology \"%s\" (valid: %s, or a FILE.json)", arg,
		       names[0] ? names : "none found: set NUMABENCH_DATA");
		return -1;
	}
	return path_fmt(t->path, sizeof(t->path), "%s/configs/guests/%s.json", d, arg);
}

static int node_mem(const char *path, int i, json_t *v, uint64_t *mem)
{
	if (json_is_integer(v) && json_integer_value(v) > 0)
		*mem = (uint64_t)json_integer_value(v);
	else if (!json_is_string(v) || nb_parse_size(json_string_value(v), mem))
		*mem = 0;
	if (*mem < G_MIN_NODE_MEM || *mem % G_MIN_NODE_MEM) {
		nb_err("guest: topology %s: node %d: \"memory\" must be a multiple of 128M, at "
		       "least 128M (e.g. \"512M\", \"1G\")",
		       path, i);
		return -1;
	}
	return 0;
}

static int node_cpus(struct gtopo *t, int i, json_t *cpus, bool *seen)
{
	size_t k;
	json_t *c;
	if (!json_is_array(cpus)) {
		nb_err("guest: topology %s: node %d: \"cpus\" must be an array of cpu ids ([] for "
		       "a memory-only node)",
		       t->path, i);
		return -1;
	}
	json_array_foreach(cpus, k, c)
	{
		json_int_t id = json_integer_value(c);
		if (!json_is_integer(c) || id < 0 || id >= G_MAX_CPUS || seen[id]) {
			nb_err("guest: topology %s: node %d: cpu %s is invalid or repeated (valid: "
			       "0..%d, each cpu on one node)",
			       t->path, i, json_is_integer(c) ? "id" : "entry", G_MAX_CPUS - 1);
			return -1;
		}
		seen[id] = true;
		t->nodes[i].cpus[t->nodes[i].ncpus++] = (int)id;
		t->ncpus++;
	}
	return 0;
}

static int topo_node(struct gtopo *t, int i, json_t *o, bool *seen)
{
	json_t *id = json_object_get(o, "id"), *ini = json_object_get(o, "initiator");
	if (!json_is_object(o) || !json_is_integer(id) || json_integer_value(id) != i) {
		nb_err("guest: topology %s: node %d: \"id\" must be %d (nodes are listed in id "
		       "order 0..N-1, as QEMU numbers them)",
		       t->path, i, i);
		return -1;
	}
	if (node_cpus(t, i, json_object_get(o, "cpus"), seen) ||
	    node_mem(t->path, i, json_object_get(o, "memory"), &t->nodes[i].mem))
		return -1;
	t->total_mem += t->nodes[i].mem;
	t->nodes[i].initiator = ini ? (int)json_integer_value(ini) : -1;
	if (ini && (!json_is_integer(ini) || json_integer_value(ini) < 0 ||
		    json_integer_value(ini) >= G_MAX_NODES)) {
		nb_err("guest: topology %s: node %d: \"initiator\" must be a node id", t->path, i);
		return -1;
	}
	return 0;
}

static int topo_nodes(json_t *doc, struct gtopo *t)
{
	json_t *nodes = json_object_get(doc, "nodes");
	bool seen[G_MAX_CPUS] = {false};
	size_t n = json_array_size(nodes);
	if (!json_is_array(nodes) || n < 1 || n > G_MAX_NODES) {
		nb_err("guest: topology %s: \"nodes\" must be an array of 1..%d nodes", t->path,
		       G_MAX_NODES);
		return -1;
	}
	t->nnodes = (int)n;
	for (int i = 0; i < t->nnodes; i++)
		if (topo_node(t, i, json_array_get(nodes, (size_t)i), seen))
			return -1;
	for (int c = 0; c < t->ncpus; c++) {
		if (!seen[c]) {
			nb_err(
			    "guest: topology %s: cpu ids must be 0..%d without gaps (cpu %d is on "
			    "no node)",
			    t->path, t->ncpus - 1, c);
			return -1;
		}
	}
	if (t->ncpus == 0 || t->total_mem > G_MAX_TOTAL_MEM) {
		nb_err("guest: topology %s: needs at least one cpu and at most 16G of memory in "
		       "total",
		       t->path);
		return -1;
	}
	return 0;
}

/* SLIT rules shared by QEMU and Linux: 10 on the diagonal, 11..254 elsewhere. */
static int topo_dist(json_t *doc, struct gtopo *t)
{
	json_t *d = json_object_get(doc, "distances");
	if (!d)
		return 0;
	bool ok = json_is_array(d) && json_array_size(d) == (size_t)t->nnodes;
	for (int i = 0; ok && i < t->nnodes; i++) {
		json_t *row = json_array_get(d, (size_t)i);
		ok = json_is_array(row) && json_array_size(row) == (size_t)t->nnodes;
		for (int j = 0; ok && j < t->nnodes; j++) {
			json_int_t v = json_integer_value(json_array_get(row, (size_t)j));
			t->dist[i][j] = (int)v;
			ok = i == j ? v == 10 : v > 10 && v < 255;
		}
	}
	if (!ok) {
		nb_err("guest: topology %s: \"distances\" must be a %dx%d matrix (row = from node) "
		       "with 10 on the diagonal and 11..254 elsewhere",
		       t->path, t->nnodes, t->nnodes);
		return -1;
	}
	t->have_dist = true;
	return 0;
}

/* One HMAT matrix [initiator][target]; rows of memory-only nodes are null. */
static int hmat_matrix(struct gtopo *t, json_t *m, const char *key,
		       uint64_t v[G_MAX_NODES][G_MAX_NODES])
{
	if (!m)
		return 0;
	bool ok = json_is_array(m) && json_array_size(m) == (size_t)t->nnodes;
	for (int i = 0; ok && i < t->nnodes; i++) {
		json_t *row = json_array_get(m, (size_t)i);
		if (t->nodes[i].ncpus == 0) {
			ok = json_is_null(row);
			continue;
		}
		ok = json_is_array(row) && json_array_size(row) == (size_t)t->nnodes;
		for (int j = 0; ok && j < t->nnodes; j++) {
			json_int_t x = json_integer_value(json_array_get(row, (size_t)j));
			v[i][j] = (uint64_t)x;
			ok = x > 0 && x < (1ll << 40);
		}
	}
	if (!ok)
		nb_err("guest: topology %s: hmat.%s must be a %dx%d matrix [initiator][target] of "
		       "positive integers, with null rows for nodes without cpus",
		       t->path, key, t->nnodes, t->nnodes);
	return ok ? 0 : -1;
}

/* With HMAT every node names its initiator (QEMU requires it): default itself. */
static int topo_hmat(json_t *doc, struct gtopo *t)
{
	json_t *h = json_object_get(doc, "hmat");
	if (!h)
		return 0;
	t->hmat = true;
	for (int i = 0; i < t->nnodes; i++) {
		struct gnode *n = &t->nodes[i];
		if (n->initiator < 0 && n->ncpus)
			n->initiator = i;
		if (n->initiator < 0 || n->initiator >= t->nnodes ||
		    !t->nodes[n->initiator].ncpus) {
			nb_err(
			    "guest: topology %s: node %d: with \"hmat\", \"initiator\" must name "
			    "a node that has cpus",
			    t->path, i);
			return -1;
		}
	}
	if (!json_is_object(h) ||
	    (!json_object_get(h, "latency_ns") && !json_object_get(h, "bandwidth_MiBps"))) {
		nb_err("guest: topology %s: \"hmat\" needs latency_ns and/or bandwidth_MiBps",
		       t->path);
		return -1;
	}
	return hmat_matrix(t, json_object_get(h, "latency_ns"), "latency_ns", t->lat_ns) ||
	       hmat_matrix(t, json_object_get(h, "bandwidth_MiBps"), "bandwidth_MiBps", t->bw_mib);
}

int nb_guest_topo_load(const char *arg, struct gtopo *t)
{
	memset(t, 0, sizeof(*t));
	if (topo_path(arg, t))
		return -1;
	char err[PATH_MAX + 256];
	json_t *doc = access(t->path, F_OK)
			  ? NULL
			  : nb_json_load(t->path, NB_CONFIG_MAX_BYTES, err, sizeof(err));
	if (!doc) {
		char names[512];
		list_topologies(names, sizeof(names));
		if (access(t->path, F_OK))
			nb_err("guest: unknown topology \"%s\": no file %s (valid: %s, or a "
			       "FILE.json)",
			       arg, t->path, names);
		else
			nb_err("guest: topology %s", err);
		return -1;
	}
	const char *name = json_string_value(json_object_get(doc, "name"));
	const char *base = strrchr(t->path, '/') ? strrchr(t->path, '/') + 1 : t->path;
	snprintf(t->name, sizeof(t->name), "%.*s", (int)strcspn(base, "."), base);
	if (name && *name &&
	    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-_.") == strlen(name))
		snprintf(t->name, sizeof(t->name), "%s", name);
	int rc =
	    !json_is_object(doc) || topo_nodes(doc, t) || topo_dist(doc, t) || topo_hmat(doc, t);
	if (!json_is_object(doc))
		nb_err("guest: topology %s: must be a JSON object", t->path);
	json_decref(doc);
	return rc ? -1 : 0;
}
