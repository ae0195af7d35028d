/* numabench: topology from hwloc (nodes, distances, memory attributes, caches). */
#include "topo.h"

#include <hwloc.h>
#include <numa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_node(const void *a, const void *b)
{
	return ((const struct nb_node *)a)->id - ((const struct nb_node *)b)->id;
}

/*
 * CPUs of a node. hwloc gives a CPU-less (memory-only) node the cpuset of its nearest CPUs
 * (seen with hwloc 2.9 in QEMU guests), so the kernel's own list in sysfs decides; hwloc's
 * set is the fallback when sysfs is unreadable.
 */
static void node_cpus(struct nb_node *n, hwloc_const_bitmap_t set)
{
	char path[96], buf[4096];
	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/cpulist", n->id);
	if (nb_read_file(path, buf, sizeof(buf)) == 0) {
		n->ncpus = buf[0] ? nb_parse_list(buf, n->cpus, NB_MAX_CPUS) : 0;
		if (n->ncpus >= 0)
			return;
		n->ncpus = 0;
	}
	unsigned pu;
	hwloc_bitmap_foreach_begin(pu, set)
	{
		if (n->ncpus < NB_MAX_CPUS)
			n->cpus[n->ncpus++] = (int)pu;
	}
	hwloc_bitmap_foreach_end();
}

static void load_nodes(struct nb_topo *t, hwloc_topology_t h)
{
	hwloc_obj_t o = NULL;
	while ((o = hwloc_get_next_obj_by_type(h, HWLOC_OBJ_NUMANODE, o)) &&
	       t->nnodes < NB_MAX_NODES) {
		struct nb_node *n = &t->nodes[t->nnodes++];
		memset(n, 0, sizeof(*n));
		n->id = (int)o->os_index;
		n->memory_bytes = o->attr->numanode.local_memory;
		node_cpus(n, o->cpuset);
	}
	qsort(t->nodes, t->nnodes, sizeof(t->nodes[0]), cmp_node);
}

static int node_index(const struct nb_topo *t, int id)
{
	for (int i = 0; i < t->nnodes; i++)
		if (t->nodes[i].id == id)
			return i;
	return -1;
}

static void load_distances(struct nb_topo *t, hwloc_topology_t h)
{
	struct hwloc_distances_s *d = NULL;
	unsigned nr = 1;
	if (hwloc_distances_get_by_type(h, HWLOC_OBJ_NUMANODE, &nr, &d,
					HWLOC_DISTANCES_KIND_MEANS_LATENCY, 0) ||
	    nr < 1) {
		return;
	}
	for (unsigned i = 0; i < d->nbobjs; i++) {
		int a = node_index(t, (int)d->objs[i]->os_index);
		for (unsigned j = 0; j < d->nbobjs; j++) {
			int b = node_index(t, (int)d->objs[j]->os_index);
			if (a >= 0 && b >= 0)
				t->distances[a][b] = d->values[i * d->nbobjs + j];
		}
	}
	t->have_distances = true;
	hwloc_distances_release(h, d);
}

/* hwloc drops a 1x1 matrix; libnuma reads the same SLIT row from sysfs. */
static void distances_fallback(struct nb_topo *t)
{
	if (t->have_distances || numa_available() < 0)
		return;
	for (int i = 0; i < t->nnodes; i++)
		for (int j = 0; j < t->nnodes; j++) {
			int d = numa_distance(t->nodes[i].id, t->nodes[j].id);
			if (d <= 0)
				return;
			t->distances[i][j] = (uint64_t)d;
		}
	t->have_distances = true;
}

/* HMAT-derived attributes: value of attr for (initiator node's cpus, target node). */
static void load_memattrs(struct nb_topo *t, hwloc_topology_t h)
{
	static const struct {
		hwloc_memattr_id_t id;
		const char *name;
	} attrs[] = {{HWLOC_MEMATTR_ID_LATENCY, "latency"},
		     {HWLOC_MEMATTR_ID_BANDWIDTH, "bandwidth"},
		     {HWLOC_MEMATTR_ID_READ_LATENCY, "read_latency"},
		     {HWLOC_MEMATTR_ID_WRITE_LATENCY, "write_latency"},
		     {HWLOC_MEMATTR_ID_READ_BANDWIDTH, "read_bandwidth"},
		     {HWLOC_MEMATTR_ID_WRITE_BANDWIDTH, "write_bandwidth"}};
	json_t *all = json_object();
	for (size_t a = 0; a < sizeof(attrs) / sizeof(attrs[0]); a++) {
		json_t *list = json_array();
		for (int ti = 0; ti < t->nnodes; ti++) {
			hwloc_obj_t target =
			    hwloc_get_numanode_obj_by_os_index(h, (unsigned)t->nodes[ti].id);
			unsigned n = 0;
			if (!target ||
			    hwloc_memattr_get_initiators(h, attrs[a].id, target, 0, &n, NULL,
							 NULL) ||
			    n == 0)
				continue;
			struct hwloc_location *locs = calloc(n, sizeof(*locs));
			hwloc_uint64_t *vals = calloc(n, sizeof(*vals));
			if (locs && vals &&
			    !hwloc_memattr_get_initiators(h, attrs[a].id, target, 0, &n, locs,
							  vals)) {
				for (unsigned k = 0; k < n; k++) {
					if (locs[k].type != HWLOC_LOCATION_TYPE_CPUSET)
						continue;
					char cpus[256];
					hwloc_bitmap_list_snprintf(cpus, sizeof(cpus),
								   locs[k].location.cpuset);
					json_array_append_new(
					    list, json_pack("{s:i,s:s,s:I}", "target",
							    t->nodes[ti].id, "initiator_cpus", cpus,
							    "value", (json_int_t)vals[k]));
				}
			}
			free(locs);
			free(vals);
		}
		if (json_array_size(list))
			json_object_set_new(all, attrs[a].name, list);
		else
			json_decref(list);
	}
	if (json_object_size(all)) {
		json_object_set_new(all, "units",
				    json_pack("{s:s,s:s}", "latency", "ns", "bandwidth", "MiB/s"));
		t->memattrs = all;
	} else {
		json_decref(all);
	}
}

static void load_caches(struct nb_topo *t, hwloc_topology_t h)
{
	static const hwloc_obj_type_t types[] = {HWLOC_OBJ_L1CACHE, HWLOC_OBJ_L2CACHE,
						 HWLOC_OBJ_L3CACHE, HWLOC_OBJ_L4CACHE};
	t->caches = json_array();
	for (int i = 0; i < 4; i++) {
		int n = hwloc_get_nbobjs_by_type(h, types[i]);
		hwloc_obj_t o = hwloc_get_obj_by_type(h, types[i], 0);
		if (n <= 0 || !o)
			continue;
		json_array_append_new(t->caches,
				      json_pack("{s:i,s:I,s:I,s:i}", "level", i + 1, "size_bytes",
						(json_int_t)o->attr->cache.size, "line_bytes",
						(json_int_t)o->attr->cache.linesize, "count", n));
	}
	int cores = hwloc_get_nbobjs_by_type(h, HWLOC_OBJ_CORE);
	int pus = hwloc_get_nbobjs_by_type(h, HWLOC_OBJ_PU);
	t->ncpus = pus;
	t->smt = cores > 0 ? pus / cores : 1;
}

int nb_topo_load(struct nb_topo *t)
{
	hwloc_topology_t h;
	memset(t, 0, sizeof(*t));
	/* The whole machine, also nodes and cpus this process's cpuset does not allow: the run
	 * restricts itself to the allowed ones (caps), and a node outside the cpuset is then
	 * named as such rather than as nonexistent. */
	if (hwloc_topology_init(&h) ||
	    hwloc_topology_set_flags(h, HWLOC_TOPOLOGY_FLAG_INCLUDE_DISALLOWED) ||
	    hwloc_topology_load(h)) {
		nb_err("cannot load the topology with hwloc");
		return -1;
	}
	t->hwloc = h;
	load_nodes(t, h);
	if (t->nnodes == 0) {
		nb_err("hwloc reports no NUMA node");
		return -1;
	}
	load_distances(t, h);
	distances_fallback(t);
	load_memattrs(t, h);
	load_caches(t, h);
	return 0;
}

void nb_topo_free(struct nb_topo *t)
{
	if (t->hwloc)
		hwloc_topology_destroy((hwloc_topology_t)t->hwloc);
	json_decref(t->memattrs);
	json_decref(t->caches);
	t->hwloc = NULL;
	t->memattrs = t->caches = NULL;
}

const struct nb_node *nb_topo_node(const struct nb_topo *t, int id)
{
	int i = node_index(t, id);
	return i < 0 ? NULL : &t->nodes[i];
}

int nb_topo_cpu_node(const struct nb_topo *t, int cpu)
{
	for (int i = 0; i < t->nnodes; i++)
		for (int c = 0; c < t->nodes[i].ncpus; c++)
			if (t->nodes[i].cpus[c] == cpu)
				return t->nodes[i].id;
	return -1;
}

uint64_t nb_node_free_bytes(int node)
{
	long long fr = 0;
	if (numa_available() < 0 || numa_node_size64(node, &fr) < 0)
		return 0;
	return fr > 0 ? (uint64_t)fr : 0;
}

json_t *nb_topo_json(const struct nb_topo *t)
{
	json_t *nodes = json_array(), *dist = json_array();
	for (int i = 0; i < t->nnodes; i++) {
		json_t *cpus = json_array();
		for (int c = 0; c < t->nodes[i].ncpus; c++)
			json_array_append_new(cpus, json_integer(t->nodes[i].cpus[c]));
		json_array_append_new(nodes, json_pack("{s:i,s:o,s:I}", "id", t->nodes[i].id,
						       "cpus", cpus, "memory_bytes",
						       (json_int_t)t->nodes[i].memory_bytes));
		if (!t->have_distances)
			continue;
		json_t *row = json_array();
		for (int j = 0; j < t->nnodes; j++)
			json_array_append_new(row, json_integer((json_int_t)t->distances[i][j]));
		json_array_append_new(dist, row);
	}
	json_t *o = json_pack("{s:o,s:o,s:i,s:i}", "nodes", nodes, "distances", dist, "cpus",
			      t->ncpus, "smt", t->smt);
	json_object_set(o, "caches", t->caches ? t->caches : json_null());
	if (t->memattrs)
		json_object_set(o, "memattrs", t->memattrs);
	return o;
}
