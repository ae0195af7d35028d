/* numabench: topology from hwloc (nodes, distances, memory attributes, caches). */
#include "topo.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <hwloc.h>
#include <numa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int cmp_node(const void *a, const void *b)
{
	return ((const struct nb_node *)a)->id - ((const struct nb_node *)b)->id;
}

/* A cpu list from sysfs ("0-95,192-287"), parsed by hwloc; NULL when unreadable or not a list. */
static hwloc_bitmap_t sysfs_list(const char *path)
{
	char full[4096];
	size_t len;
	snprintf(full, sizeof(full), "%s%s", nb_fsroot(), path);
	char *txt = nb_read_all(full, 1 << 20, &len);
	if (!txt)
		return NULL;
	hwloc_bitmap_t b = hwloc_bitmap_alloc();
	txt[strcspn(txt, "\n")] = 0;
	if (b && hwloc_bitmap_list_sscanf(b, txt)) {
		hwloc_bitmap_free(b);
		b = NULL;
	}
	free(txt);
	return b;
}

/*
 * CPUs of a node. hwloc gives a CPU-less (memory-only) node the cpuset of its nearest CPUs
 * (seen with hwloc 2.9 in QEMU guests), so the kernel's own list in sysfs decides; hwloc's
 * set is the fallback when sysfs is unreadable, and the only source in a replay.
 */
static int node_cpus(struct nb_node *n, hwloc_const_bitmap_t set, bool no_sysfs)
{
	char path[96], err[256];
	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/cpulist", n->id);
	hwloc_bitmap_t sys = no_sysfs ? NULL : sysfs_list(path);
	struct bitmask *b = nb_set_from_hwloc(sys ? sys : set);
	hwloc_bitmap_free(sys);
	n->ncpus = b ? nb_set_ids(b, n->cpus, NB_MAX_CPUS, NB_SET_CPUS, err, sizeof(err)) : -1;
	numa_bitmask_free(b);
	if (n->ncpus < 0) {
		nb_err("node %d: %s", n->id, b ? err : "an infinite cpuset");
		return -1;
	}
	return 0;
}

static int load_nodes(struct nb_topo *t, hwloc_topology_t h)
{
	hwloc_obj_t o = NULL;
	int total = hwloc_get_nbobjs_by_type(h, HWLOC_OBJ_NUMANODE);
	if (total > NB_MAX_NODES) {
		nb_err("the topology has %d NUMA nodes; numabench handles %d (NB_MAX_NODES): "
		       "rebuild with a larger NB_MAX_NODES",
		       total, NB_MAX_NODES);
		return -1;
	}
	while ((o = hwloc_get_next_obj_by_type(h, HWLOC_OBJ_NUMANODE, o))) {
		if (o->os_index >= NB_MAX_NODES) {
			nb_err("node %u is beyond numabench's limit: it handles node ids 0-%d "
			       "(NB_MAX_NODES); rebuild with a larger NB_MAX_NODES",
			       o->os_index, NB_MAX_NODES - 1);
			return -1;
		}
		struct nb_node *n = &t->nodes[t->nnodes++];
		memset(n, 0, sizeof(*n));
		n->id = (int)o->os_index;
		n->memory_bytes = o->attr->numanode.local_memory;
		if (node_cpus(n, o->cpuset, t->replayed && !t->fsroot_replay))
			return -1;
	}
	qsort(t->nodes, t->nnodes, sizeof(t->nodes[0]), cmp_node);
	t->cpuset = nb_set_new(NB_MAX_CPUS);
	t->nodeset = nb_set_new(NB_MAX_NODES);
	for (int i = 0; i < t->nnodes; i++) {
		numa_bitmask_setbit(t->nodeset, (unsigned)t->nodes[i].id);
		for (int c = 0; c < t->nodes[i].ncpus; c++)
			numa_bitmask_setbit(t->cpuset, (unsigned)t->nodes[i].cpus[c]);
	}
	return 0;
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

/* The SLIT row of node i from sysfs under the fsroot (a replayed tree): 0, or -1. */
static int sysfs_distances(struct nb_topo *t, int i)
{
	char path[96], buf[1024], *p = buf;
	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/distance", t->nodes[i].id);
	if (nb_read_file(path, buf, sizeof(buf)))
		return -1;
	for (int j = 0; j < t->nnodes; j++) {
		char *end;
		long d = strtol(p, &end, 10);
		if (end == p || d <= 0)
			return -1;
		t->distances[i][j] = (uint64_t)d;
		p = end;
	}
	return 0;
}

/* hwloc drops a 1x1 matrix; libnuma reads the same SLIT row from sysfs (in an fsroot replay,
 * the captured sysfs). */
static void distances_fallback(struct nb_topo *t)
{
	if (t->have_distances)
		return;
	if (t->fsroot_replay) {
		for (int i = 0; i < t->nnodes; i++)
			if (sysfs_distances(t, i))
				return;
		t->have_distances = true;
		return;
	}
	if (numa_available() < 0)
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
					struct bitmask *ini =
					    nb_set_from_hwloc(locs[k].location.cpuset);
					json_array_append_new(
					    list,
					    json_pack("{s:i,s:o,s:I}", "target", t->nodes[ti].id,
						      "initiator_cpus", nb_set_json(ini), "value",
						      (json_int_t)vals[k]));
					if (ini)
						numa_bitmask_free(ini);
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

/* NUMABENCH_TOPOLOGY: "synthetic:DESCRIPTION" or an hwloc XML file, instead of this machine. */
static int set_replay(struct nb_topo *t, hwloc_topology_t h)
{
	const char *r = getenv("NUMABENCH_TOPOLOGY");
	if (!r || !*r) {
		/* A captured tree (tests/fixtures/guests): hwloc's Linux backend reads the same
		 * root, as hwloc's own tests replay captured machines (HWLOC_FSROOT). */
		if (nb_fsroot()[0] && setenv("HWLOC_FSROOT", nb_fsroot(), 1) == 0)
			t->fsroot_replay = true;
		return 0;
	}
	if (!strncmp(r, "synthetic:", 10)) {
		if (hwloc_topology_set_synthetic(h, r + 10) == 0)
			return 0;
		nb_err("NUMABENCH_TOPOLOGY=%s: hwloc does not accept the synthetic description "
		       "(expected e.g. synthetic:package:2 numa:4 core:32 pu:2)",
		       r);
		return -1;
	}
	if (hwloc_topology_set_xml(h, r) == 0)
		return 0;
	nb_err("NUMABENCH_TOPOLOGY=%s: not a readable hwloc XML file (%s); valid: an XML file "
	       "(lstopo FILE.xml) or synthetic:DESCRIPTION",
	       r, strerror(errno));
	return -1;
}

/* ---- memory tiers ---------------------------------------------------------------------- */

#define TIERING_DIR "/sys/devices/virtual/memory_tiering"
#define DEMOTION_FILE "/sys/kernel/mm/numa/demotion_enabled"

/* "0-1,4" into ids (sorted as listed); -1 when not a node list. */
static int parse_nodelist(const char *s, int *out, int max)
{
	int n = 0;
	while (*s) {
		char *end;
		if (!isdigit((unsigned char)*s))
			return -1;
		long a = strtol(s, &end, 10), b = a;
		s = end;
		if (*s == '-') {
			if (!isdigit((unsigned char)s[1]))
				return -1;
			b = strtol(s + 1, &end, 10);
			s = end;
		}
		if (b < a || b >= NB_MAX_NODES)
			return -1;
		for (long i = a; i <= b; i++) {
			if (n >= max)
				return -1;
			out[n++] = (int)i;
		}
		if (*s == ',')
			s++;
		else if (*s)
			return -1;
	}
	return n;
}

static int cmp_tier(const void *a, const void *b)
{
	return ((const struct nb_tier *)a)->id - ((const struct nb_tier *)b)->id;
}

int nb_tiering_read(struct nb_tiering *t)
{
	char path[4096], buf[1024];
	memset(t, 0, sizeof(*t));
	t->demotion_enabled = -1;
	if (nb_read_file(DEMOTION_FILE, buf, sizeof(buf)) == 0)
		t->demotion_enabled = !strcmp(buf, "true") || !strcmp(buf, "1") ||
				      !strcmp(buf, "Y") || !strcmp(buf, "y");
	snprintf(path, sizeof(path), "%s%s", nb_fsroot(), TIERING_DIR);
	DIR *d = opendir(path);
	if (!d) {
		snprintf(t->reason, sizeof(t->reason),
			 "%s is absent (%s): the kernel publishes no memory tiers (6.1+)",
			 TIERING_DIR, strerror(errno));
		return -1;
	}
	t->present = true;
	struct dirent *e;
	while ((e = readdir(d))) {
		int id;
		char tail;
		if (sscanf(e->d_name, "memory_tier%d%c", &id, &tail) != 1 || id < 0)
			continue;
		if (t->ntiers >= NB_MAX_TIERS)
			break;
		struct nb_tier *tr = &t->tiers[t->ntiers];
		snprintf(path, sizeof(path), TIERING_DIR "/%s/nodelist", e->d_name);
		tr->id = id;
		if (nb_read_file(path, buf, sizeof(buf)) ||
		    (tr->nnodes = parse_nodelist(buf, tr->nodes, NB_MAX_NODES)) < 0) {
			tr->nnodes = 0;
			continue;
		}
		t->ntiers++;
	}
	closedir(d);
	qsort(t->tiers, (size_t)t->ntiers, sizeof(t->tiers[0]), cmp_tier);
	if (t->ntiers == 0) {
		snprintf(t->reason, sizeof(t->reason), "%s holds no readable memory_tierN/nodelist",
			 TIERING_DIR);
		return -1;
	}
	return 0;
}

int nb_tiering_tier_of(const struct nb_tiering *t, int node)
{
	for (int i = 0; i < t->ntiers; i++)
		for (int k = 0; k < t->tiers[i].nnodes; k++)
			if (t->tiers[i].nodes[k] == node)
				return i;
	return -1;
}

int nb_tiering_lower_node(const struct nb_tiering *t, int node, const int *nodes, int n, char *why,
			  size_t len)
{
	int ti = nb_tiering_tier_of(t, node);
	if (!t->ntiers || ti < 0) {
		snprintf(why, len, "no memory tier below node %d: %s", node,
			 t->ntiers ? "the kernel put the node in no memory tier"
				   : (t->reason[0] ? t->reason : "the kernel publishes no tiers"));
		return -1;
	}
	for (int k = ti + 1; k < t->ntiers; k++)
		for (int j = 0; j < t->tiers[k].nnodes; j++)
			for (int i = 0; i < n; i++)
				if (nodes[i] == t->tiers[k].nodes[j])
					return nodes[i];
	if (t->ntiers == 1)
		snprintf(why, len,
			 "no memory tier below node %d: the kernel assigned all nodes to tier %d",
			 node, t->tiers[0].id);
	else if (ti == t->ntiers - 1)
		snprintf(why, len, "no memory tier below node %d: it is in the lowest tier %d",
			 node, t->tiers[ti].id);
	else
		snprintf(why, len,
			 "no memory tier below node %d: the lower tiers' nodes are not usable in "
			 "this run (--nodes or the cgroup)",
			 node);
	return -1;
}

json_t *nb_tiering_json(const struct nb_tiering *t)
{
	json_t *tiers = json_array();
	for (int i = 0; i < t->ntiers; i++) {
		json_t *nodes = json_array();
		for (int k = 0; k < t->tiers[i].nnodes; k++)
			json_array_append_new(nodes, json_integer(t->tiers[i].nodes[k]));
		json_array_append_new(tiers,
				      json_pack("{s:i,s:o}", "id", t->tiers[i].id, "nodes", nodes));
	}
	json_t *o =
	    json_pack("{s:o,s:o,s:s,s:s}", "tiers", tiers, "demotion_enabled",
		      t->demotion_enabled < 0 ? json_null() : json_boolean(t->demotion_enabled),
		      "source", TIERING_DIR, "demotion_source", DEMOTION_FILE);
	if (t->reason[0])
		json_object_set_new(o, "reason", json_string(t->reason));
	return o;
}

static int topo_load(struct nb_topo *t)
{
	hwloc_topology_t h;
	if (hwloc_topology_init(&h)) {
		nb_err("cannot load the topology with hwloc");
		return -1;
	}
	t->hwloc = h;
	/* The whole machine, also nodes and cpus this process's cpuset does not allow: the run
	 * restricts itself to the allowed ones (caps), and a node outside the cpuset is then
	 * named as such rather than as nonexistent. */
	if (set_replay(t, h))
		return -1;
	if (hwloc_topology_set_flags(h, HWLOC_TOPOLOGY_FLAG_INCLUDE_DISALLOWED) ||
	    hwloc_topology_load(h)) {
		nb_err("cannot load the topology with hwloc");
		return -1;
	}
	t->replayed = !hwloc_topology_is_thissystem(h);
	if (load_nodes(t, h))
		return -1;
	if (t->nnodes == 0) {
		nb_err("hwloc reports no NUMA node");
		return -1;
	}
	load_distances(t, h);
	if (!t->replayed || t->fsroot_replay)
		distances_fallback(t);
	load_memattrs(t, h);
	load_caches(t, h);
	nb_tiering_read(&t->tiering);
	return 0;
}

int nb_topo_load(struct nb_topo *t)
{
	memset(t, 0, sizeof(*t));
	if (topo_load(t) == 0)
		return 0;
	nb_topo_free(t);
	return -1;
}

void nb_topo_free(struct nb_topo *t)
{
	if (t->hwloc)
		hwloc_topology_destroy((hwloc_topology_t)t->hwloc);
	json_decref(t->memattrs);
	json_decref(t->caches);
	if (t->cpuset)
		numa_bitmask_free(t->cpuset);
	if (t->nodeset)
		numa_bitmask_free(t->nodeset);
	t->hwloc = NULL;
	t->memattrs = t->caches = NULL;
	t->cpuset = t->nodeset = NULL;
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

const char *nb_topo_cpu_state(const struct nb_topo *t, int cpu)
{
	if (cpu < 0)
		return "does not exist";
	if (t->replayed) {
		hwloc_topology_t h = (hwloc_topology_t)t->hwloc;
		if (!hwloc_bitmap_isset(hwloc_topology_get_complete_cpuset(h), (unsigned)cpu))
			return "does not exist";
		return hwloc_bitmap_isset(hwloc_topology_get_topology_cpuset(h), (unsigned)cpu)
			   ? NULL
			   : "is offline";
	}
	char path[4096];
	snprintf(path, sizeof(path), "%s/sys/devices/system/cpu/cpu%d", nb_fsroot(), cpu);
	if (access(path, F_OK))
		return "does not exist";
	hwloc_bitmap_t on = sysfs_list("/sys/devices/system/cpu/online");
	bool is_on = on && hwloc_bitmap_isset(on, (unsigned)cpu);
	hwloc_bitmap_free(on);
	return is_on ? NULL : "is offline";
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
	json_object_set_new(o, "memory_tiers", nb_tiering_json(&t->tiering));
	return o;
}
