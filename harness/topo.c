/* numabench: topology from hwloc (nodes, distances, memory attributes, caches). */
#include "topo.h"

#include <ctype.h>
#include <stdarg.h>
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

/* A cpumap from sysfs ("ffffffff,00000000": 32-bit hex words, most significant first), for a
 * node whose kernel (or capture) wrote no cpulist; NULL when unreadable or not a mask. */
static hwloc_bitmap_t sysfs_mask(const char *path)
{
	char full[4096];
	size_t len;
	snprintf(full, sizeof(full), "%s%s", nb_fsroot(), path);
	char *txt = nb_read_all(full, 1 << 20, &len);
	if (!txt)
		return NULL;
	txt[strcspn(txt, "\n")] = 0;
	hwloc_bitmap_t b = hwloc_bitmap_alloc();
	size_t nwords = 1;
	for (char *p = txt; *p; p++)
		nwords += *p == ',';
	char *p = txt, *end;
	for (size_t w = nwords; b && w-- > 0;) {
		unsigned long v = strtoul(p, &end, 16);
		if (end == p || (*end && *end != ',')) {
			hwloc_bitmap_free(b);
			b = NULL;
			break;
		}
		for (unsigned bit = 0; bit < 32; bit++)
			if (v & (1ul << bit))
				hwloc_bitmap_set(b, (unsigned)(w * 32 + bit));
		p = *end ? end + 1 : end;
	}
	free(txt);
	return b;
}

/* One line in t->warnings and on stderr: what the source itself got inconsistent. */
static void topo_warn(struct nb_topo *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void topo_warn(struct nb_topo *t, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	nb_warn("topology %s: %s", t->source, msg);
	json_array_append_new(t->warnings, json_string(msg));
}

static char *hwloc_list(hwloc_const_bitmap_t b)
{
	char *s = NULL;
	if (hwloc_bitmap_list_asprintf(&s, b) < 0)
		return NULL;
	return s;
}

/* The kernel's cpus of node id: its cpulist, else its cpumap, present cpus only (a capture's
 * firmware may claim cpus that are not there). NULL when sysfs has neither file. */
static hwloc_bitmap_t kernel_node_cpus(struct nb_topo *t, int id)
{
	char path[96];
	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/cpulist", id);
	hwloc_bitmap_t b = sysfs_list(path);
	if (!b) {
		snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/cpumap", id);
		b = sysfs_mask(path);
	}
	hwloc_bitmap_t present = b ? sysfs_list("/sys/devices/system/cpu/present") : NULL;
	if (present && !hwloc_bitmap_isincluded(b, present)) {
		hwloc_bitmap_t gone = hwloc_bitmap_alloc();
		hwloc_bitmap_andnot(gone, b, present);
		char *g = hwloc_list(gone), *pr = hwloc_list(present);
		topo_warn(t,
			  "node %d lists cpus %s that are not present (/sys/devices/system/cpu/"
			  "present: %s): left out",
			  id, g ? g : "?", pr ? pr : "?");
		free(g);
		free(pr);
		hwloc_bitmap_free(gone);
		hwloc_bitmap_and(b, b, present);
	}
	hwloc_bitmap_free(present);
	return b;
}

/* A kind of memory that the kernel never gives cpus (hwloc's subtypes other than DRAM). */
static bool memory_only_kind(const char *subtype)
{
	return subtype && *subtype && strcmp(subtype, "DRAM");
}

/* The object whose cpus a NUMA node sits beside (above any memory-side cache). */
static hwloc_obj_t cpu_parent(hwloc_obj_t o)
{
	hwloc_obj_t p = o->parent;
	while (p && p->type == HWLOC_OBJ_MEMCACHE)
		p = p->parent;
	return p;
}

static bool may_have_cpus(hwloc_obj_t o)
{
	return !memory_only_kind(o->subtype) && !hwloc_bitmap_iszero(o->cpuset);
}

/*
 * A node's cpus from hwloc alone (an XML or synthetic replay). hwloc gives every NUMA node the
 * cpuset of the object it is attached to, so a memory-only node (KNL's MCDRAM, HBM, NVM, GPU
 * or CXL memory) would get its neighbour's cpus; the kernel gives each cpu to one node. The
 * node that has them is the first of the parent's nodes that is not of a memory-only kind and
 * has a cpuset; the others get none (a warning when they are not of a memory-only kind: the
 * file cannot say which one the kernel chose). Online cpus only.
 */
static hwloc_bitmap_t hwloc_node_cpus(struct nb_topo *t, hwloc_topology_t h, hwloc_obj_t o)
{
	hwloc_bitmap_t b = hwloc_bitmap_alloc();
	if (!may_have_cpus(o))
		return b;
	hwloc_obj_t x = NULL, p = cpu_parent(o);
	while ((x = hwloc_get_next_obj_by_type(h, HWLOC_OBJ_NUMANODE, x)))
		if (cpu_parent(x) == p && may_have_cpus(x))
			break;
	if (x != o) {
		char *c = hwloc_list(o->cpuset);
		topo_warn(t,
			  "nodes %u and %u sit beside the same cpus %s and neither is of a "
			  "memory-only kind; the kernel gives a cpu to one node: node %u has them",
			  x->os_index, o->os_index, c ? c : "?", x->os_index);
		free(c);
		return b;
	}
	hwloc_bitmap_and(b, o->cpuset, hwloc_topology_get_topology_cpuset(h));
	return b;
}

/* CPUs of a node: the kernel's own list in sysfs (live or a replayed tree), hwloc's when sysfs
 * is unreadable or the replay is hwloc's alone (XML, synthetic). */
static int node_cpus(struct nb_topo *t, hwloc_topology_t h, struct nb_node *n, hwloc_obj_t o)
{
	char err[256];
	bool sysfs = !t->replayed || t->fsroot_replay;
	hwloc_bitmap_t set = sysfs ? kernel_node_cpus(t, n->id) : NULL;
	if (!set)
		set = hwloc_node_cpus(t, h, o);
	struct bitmask *b = nb_set_from_hwloc(set);
	hwloc_bitmap_free(set);
	int count = b ? (int)nb_set_count(b) : 0;
	n->cpus = nb_xcalloc((size_t)count, sizeof(int));
	n->ncpus = b ? nb_set_ids(b, n->cpus, count, NB_SET_CPUS, err, sizeof(err)) : -1;
	if (b)
		numa_bitmask_free(b);
	if (n->ncpus < 0) {
		nb_err("node %d: %s", n->id, b ? err : "an infinite cpuset");
		return -1;
	}
	return 0;
}

/* A cpu is in one node: a later node listing one again is the capture's inconsistency, said
 * once per node pair; the cpu stays in the lower node. */
static void check_overlap(struct nb_topo *t)
{
	struct bitmask *seen = nb_set_new((unsigned)t->cpu_slots);
	int *owner = nb_xcalloc((size_t)t->cpu_slots, sizeof(int));
	for (int i = 0; i < t->nnodes; i++) {
		struct nb_node *n = &t->nodes[i];
		int keep = 0, first = -1;
		struct bitmask *dup = nb_set_new((unsigned)t->cpu_slots);
		for (int c = 0; c < n->ncpus; c++) {
			int cpu = n->cpus[c];
			if (nb_set_has(seen, cpu)) {
				numa_bitmask_setbit(dup, (unsigned)cpu);
				if (first < 0)
					first = owner[cpu];
				continue;
			}
			numa_bitmask_setbit(seen, (unsigned)cpu);
			owner[cpu] = n->id;
			n->cpus[keep++] = cpu;
		}
		if (first >= 0) {
			char *d = nb_set_str(dup);
			topo_warn(
			    t,
			    "inconsistent: node %d lists cpus %s that node %d lists too (a cpu "
			    "is in one node): kept in node %d only",
			    n->id, d ? d : "?", first, first);
			free(d);
		}
		n->ncpus = keep;
		numa_bitmask_free(dup);
	}
	numa_bitmask_free(seen);
	free(owner);
}

/* One past the highest cpu id of hwloc's complete cpuset and of the nodes' lists. */
static int cpu_slots(const struct nb_topo *t, hwloc_topology_t h)
{
	int last = hwloc_bitmap_last(hwloc_topology_get_complete_cpuset(h));
	for (int i = 0; i < t->nnodes; i++)
		for (int c = 0; c < t->nodes[i].ncpus; c++)
			last = t->nodes[i].cpus[c] > last ? t->nodes[i].cpus[c] : last;
	return last < 0 ? 1 : last + 1;
}

/* The nodeN folders of /sys/devices/system/node (a capture without its online file), or NULL. */
static hwloc_bitmap_t node_dirs(void)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/sys/devices/system/node", nb_fsroot());
	DIR *d = opendir(path);
	if (!d)
		return NULL;
	hwloc_bitmap_t b = hwloc_bitmap_alloc();
	struct dirent *e;
	while ((e = readdir(d))) {
		unsigned id;
		char tail;
		if (sscanf(e->d_name, "node%u%c", &id, &tail) == 1 && id < NB_MAX_NODE_ID)
			hwloc_bitmap_set(b, id);
	}
	closedir(d);
	return b;
}

/* The kernel's possible nodes (kept for the JSON; a node outside them is warned) and its online
 * nodes that hwloc left out (it drops nodes of a capture it finds inconsistent, after its own
 * "invalid information" message): said, never silent. */
static void check_dropped(struct nb_topo *t, hwloc_topology_t h)
{
	hwloc_bitmap_t possible = sysfs_list("/sys/devices/system/node/possible");
	if (possible) {
		char *p = hwloc_list(possible);
		snprintf(t->possible_nodes, sizeof(t->possible_nodes), "%s", p ? p : "");
		free(p);
		for (int i = 0; i < t->nnodes; i++)
			if (!hwloc_bitmap_isset(possible, (unsigned)t->nodes[i].id))
				topo_warn(t,
					  "inconsistent: node %d is not a possible node "
					  "(/sys/devices/system/node/possible: %s)",
					  t->nodes[i].id, t->possible_nodes);
		hwloc_bitmap_free(possible);
	}
	hwloc_bitmap_t online = sysfs_list("/sys/devices/system/node/online");
	if (!online)
		online = node_dirs();
	if (!online)
		return;
	hwloc_bitmap_t gone = hwloc_bitmap_alloc();
	hwloc_bitmap_andnot(gone, online, hwloc_topology_get_complete_nodeset(h));
	if (!hwloc_bitmap_iszero(gone)) {
		char *g = hwloc_list(gone), *on = hwloc_list(online);
		topo_warn(t,
			  "inconsistent: hwloc left out nodes %s of the kernel's online nodes %s "
			  "(/sys/devices/system/node)",
			  g ? g : "?", on ? on : "?");
		free(g);
		free(on);
	}
	hwloc_bitmap_free(gone);
	hwloc_bitmap_free(online);
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
		if (o->os_index >= NB_MAX_NODE_ID) {
			nb_err("node %u is beyond numabench's limit: it handles node ids 0-%d "
			       "(NB_MAX_NODE_ID, the kernel's MAX_NUMNODES); rebuild with a larger "
			       "NB_MAX_NODE_ID",
			       o->os_index, NB_MAX_NODE_ID - 1);
			return -1;
		}
		struct nb_node *n = &t->nodes[t->nnodes++];
		memset(n, 0, sizeof(*n));
		n->id = (int)o->os_index;
		n->memory_bytes = o->attr->numanode.local_memory;
		snprintf(n->kind, sizeof(n->kind), "%s", o->subtype ? o->subtype : "");
		if (node_cpus(t, h, n, o))
			return -1;
	}
	qsort(t->nodes, t->nnodes, sizeof(t->nodes[0]), cmp_node);
	t->cpu_slots = cpu_slots(t, h);
	check_overlap(t);
	if (!t->replayed || t->fsroot_replay)
		check_dropped(t, h);
	t->cpuset = nb_set_new((unsigned)t->cpu_slots);
	t->nodeset = nb_set_new(NB_MAX_NODE_ID);
	t->cpu_node = nb_xcalloc((size_t)t->cpu_slots, sizeof(int));
	t->pu_obj = nb_xcalloc((size_t)t->cpu_slots, sizeof(void *));
	for (hwloc_obj_t pu = NULL; (pu = hwloc_get_next_obj_by_type(h, HWLOC_OBJ_PU, pu));)
		if (pu->os_index < (unsigned)t->cpu_slots)
			t->pu_obj[pu->os_index] = pu;
	for (int c = 0; c < t->cpu_slots; c++)
		t->cpu_node[c] = -1;
	for (int i = 0; i < t->nnodes; i++) {
		numa_bitmask_setbit(t->nodeset, (unsigned)t->nodes[i].id);
		for (int c = 0; c < t->nodes[i].ncpus; c++) {
			numa_bitmask_setbit(t->cpuset, (unsigned)t->nodes[i].cpus[c]);
			t->cpu_node[t->nodes[i].cpus[c]] = t->nodes[i].id;
		}
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

/*
 * The kernel's node distance matrix among hwloc's: between NUMA nodes, from the OS, meaning
 * latency; the one hwloc's Linux backend names "NUMALatency", else one whose diagonal is the
 * kernel's LOCAL_DISTANCE (10, as ACPI's SLIT normalizes it). hwloc 2 imports an hwloc 1.x
 * XML's Package-level matrix (diagonal 1) as one between NUMA nodes when the counts agree.
 */
static bool kernel_matrix(hwloc_topology_t h, struct hwloc_distances_s *d)
{
	const char *name = hwloc_distances_get_name(h, d);
	if (name && !strcmp(name, "NUMALatency"))
		return true;
	for (unsigned i = 0; i < d->nbobjs; i++)
		if (d->values[i * d->nbobjs + i] != 10)
			return false;
	return true;
}

/*
 * hwloc 2 imports every root <distances> of an hwloc 1.x file that has as many objects as there
 * are NUMA nodes as a NUMA matrix, in file order, and drops its relative_depth (a Socket matrix
 * of 8 sockets then reads as the 8 nodes' one). The file says which one is the NUMA level's: the
 * matrix whose relative_depth is the nesting depth of the NUMANode objects. *k: its index among
 * those candidates, -1 when none; returns the number of candidates (0: not a 1.x file).
 */
static int v1_numa_matrix(const char *file, int *k)
{
	size_t len;
	char *txt = nb_read_all(file, (size_t)1 << 30, &len);
	*k = -1;
	if (!txt)
		return 0;
	char *top = strstr(txt, "<topology"), *te = top ? strchr(top, '>') : NULL;
	char *v = top ? strstr(top, "version=\"") : NULL;
	if (!top || !te || (v && v < te && strtol(v + 9, NULL, 10) >= 2)) {
		free(txt);
		return 0;
	}
	int depth = 0, numa_depth = -1, nnuma = 0, ncand = 0;
	struct {
		long nbobjs, reldepth;
		int at;
	} dist[16];
	int nd = 0;
	for (char *p = strchr(te, '<'); p; p = strchr(p + 1, '<')) {
		char *end = strchr(p, '>');
		if (!end)
			break;
		if (!strncmp(p, "</object", 8)) {
			depth--;
		} else if (!strncmp(p, "<object", 7) && isspace((unsigned char)p[7])) {
			char *ty = strstr(p, "type=\"NUMANode\"");
			if (ty && ty < end) {
				nnuma++;
				numa_depth = numa_depth < 0 ? depth : numa_depth;
			}
			depth += end[-1] != '/';
		} else if (!strncmp(p, "<distances", 10) && nd < 16) {
			char *nb = strstr(p, "nbobjs=\""), *rd = strstr(p, "relative_depth=\"");
			dist[nd].nbobjs = nb && nb < end ? strtol(nb + 8, NULL, 10) : -1;
			dist[nd].reldepth = rd && rd < end ? strtol(rd + 16, NULL, 10) : -1;
			dist[nd++].at = depth; /* 1: attached to the root object */
		}
	}
	for (int i = 0; i < nd; i++) {
		if (dist[i].at != 1 || dist[i].nbobjs != nnuma || nnuma < 2)
			continue;
		if (*k < 0 && dist[i].reldepth == numa_depth)
			*k = ncand;
		ncand++;
	}
	free(txt);
	return ncand;
}

static void load_distances(struct nb_topo *t, hwloc_topology_t h)
{
	struct hwloc_distances_s *d[16];
	unsigned nr = 16, pick = 16;
	if (hwloc_distances_get_by_type(
		h, HWLOC_OBJ_NUMANODE, &nr, d,
		HWLOC_DISTANCES_KIND_FROM_OS | HWLOC_DISTANCES_KIND_MEANS_LATENCY, 0))
		return;
	if (nr > 16)
		nr = 16;
	int v1k = -1, v1n = strncmp(t->source, "xml:", 4) ? 0 : v1_numa_matrix(t->source + 4, &v1k);
	for (unsigned k = 0; k < nr; k++) {
		const char *name = hwloc_distances_get_name(h, d[k]);
		if (v1n == (int)nr) /* a 1.x file: the one at the NUMA nodes' depth, or none */
			pick = v1k >= 0 && kernel_matrix(h, d[v1k]) ? (unsigned)v1k : 16;
		else if (kernel_matrix(h, d[k]) &&
			 (pick == 16 || (name && !strcmp(name, "NUMALatency"))))
			pick = k;
	}
	if (v1n == (int)nr && v1k >= 0 && pick == 16) {
		struct hwloc_distances_s *m = d[v1k];
		unsigned bad = 0;
		while (bad + 1 < m->nbobjs && m->values[bad * m->nbobjs + bad] == 10)
			bad++;
		topo_warn(
		    t,
		    "inconsistent: the hwloc 1.x file's NUMA distance matrix has %llu, not the "
		    "local distance 10, on its diagonal (node %u): left out",
		    (unsigned long long)m->values[bad * m->nbobjs + bad], m->objs[bad]->os_index);
	}
	if (pick < nr) {
		struct hwloc_distances_s *m = d[pick];
		for (unsigned i = 0; i < m->nbobjs; i++) {
			int a = node_index(t, (int)m->objs[i]->os_index);
			for (unsigned j = 0; j < m->nbobjs; j++) {
				int b = node_index(t, (int)m->objs[j]->os_index);
				if (a >= 0 && b >= 0)
					t->distances[a][b] = m->values[i * m->nbobjs + j];
			}
		}
		t->have_distances = m->nbobjs == (unsigned)t->nnodes;
	}
	for (unsigned k = 0; k < nr; k++)
		hwloc_distances_release(h, d[k]);
}

/* The SLIT row of node i from sysfs under the fsroot (a replayed tree): 0, or -1 unless it has
 * one value per node (a row that names more nodes than the topology has is not this one's). */
static int sysfs_distances(struct nb_topo *t, int i)
{
	char path[96], buf[8192], *p = buf;
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
	while (*p == ' ' || *p == '\n')
		p++;
	return *p ? -1 : 0;
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

/* The <topology version="X.Y"> of an hwloc XML file: 0, or NB_TOPO_BAD_INPUT with why. hwloc
 * itself says "XML version 3.0 > 2" only under HWLOC_XML_VERBOSE=1. */
static int xml_check(const char *file, char *why, size_t len)
{
	size_t n;
	char *txt = nb_read_all(file, (size_t)1 << 30, &n);
	if (!txt) {
		snprintf(why, len, "cannot read it (%s)", strerror(errno));
		return NB_TOPO_BAD_INPUT;
	}
	int rc = 0;
	char *top = strstr(txt, "<topology"), *end = top ? strchr(top, '>') : NULL;
	char *v = top ? strstr(top, "version=\"") : NULL;
	if (!top || !end) {
		snprintf(why, len, "not an hwloc XML file (no <topology> element)");
		rc = NB_TOPO_BAD_INPUT;
	} else if (v && v < end && strtol(v + 9, NULL, 10) > 2) {
		snprintf(why, len,
			 "hwloc XML version %.*s is newer than hwloc " HWLOC_VERSION
			 " reads (valid: versions 1.x and 2.x; hwloc 3's lstopo writes 2.x with "
			 "--export-xml-flags 2)",
			 (int)strcspn(v + 9, "\""), v + 9);
		rc = NB_TOPO_BAD_INPUT;
	}
	free(txt);
	return rc;
}

/* NUMABENCH_TOPOLOGY ("synthetic:DESCRIPTION" or an hwloc XML file) or NUMABENCH_FSROOT
 * instead of this machine; fills t->source. 0, -1, or NB_TOPO_BAD_INPUT. */
static int set_replay(struct nb_topo *t, hwloc_topology_t h)
{
	const char *r = getenv("NUMABENCH_TOPOLOGY");
	char why[512];
	/* hwloc's Linux backend drops NVIDIA GPU memory nodes unless told (hwloc 2.5+); they
	 * are NUMA nodes of the kernel's, memory-only. */
	setenv("HWLOC_KEEP_NVIDIA_GPU_NUMA_NODES", "1", 0);
	if (!r || !*r) {
		snprintf(t->source, sizeof(t->source), "live");
		if (getenv("HWLOC_XMLFILE"))
			snprintf(t->source, sizeof(t->source), "xml:%s", getenv("HWLOC_XMLFILE"));
		else if (getenv("HWLOC_SYNTHETIC"))
			snprintf(t->source, sizeof(t->source), "synthetic:%s",
				 getenv("HWLOC_SYNTHETIC"));
		if (!nb_fsroot()[0])
			return 0;
		/* A captured tree: hwloc's Linux backend reads the same root, and nothing else
		 * (its x86 backend would read this host's CPUID), as hwloc's own tests replay
		 * captured machines (HWLOC_FSROOT, HWLOC_COMPONENTS=linux,stop). */
		if (setenv("HWLOC_FSROOT", nb_fsroot(), 1) ||
		    setenv("HWLOC_COMPONENTS", "linux,stop", 1)) {
			nb_err("cannot set HWLOC_FSROOT: %s", strerror(errno));
			return -1;
		}
		t->fsroot_replay = true;
		snprintf(t->source, sizeof(t->source), "fsroot:%s", nb_fsroot());
		return 0;
	}
	snprintf(t->source, sizeof(t->source), "%s%s", strncmp(r, "synthetic:", 10) ? "xml:" : "",
		 r);
	if (!strncmp(r, "synthetic:", 10)) {
		if (hwloc_topology_set_synthetic(h, r + 10) == 0)
			return 0;
		nb_err("NUMABENCH_TOPOLOGY=%s: hwloc does not accept the synthetic description "
		       "(expected e.g. synthetic:package:2 numa:4 core:32 pu:2)",
		       r);
		return NB_TOPO_BAD_INPUT;
	}
	if (xml_check(r, why, sizeof(why)) == 0 && hwloc_topology_set_xml(h, r) == 0)
		return 0;
	if (!why[0])
		snprintf(why, sizeof(why), "%s", strerror(errno));
	nb_err("NUMABENCH_TOPOLOGY=%s: %s; valid: an hwloc XML file (lstopo FILE.xml) or "
	       "synthetic:DESCRIPTION",
	       r, why);
	return NB_TOPO_BAD_INPUT;
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
		if (b < a || b >= NB_MAX_NODE_ID)
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
	json_t *o = json_pack(
	    "{s:o,s:o,s:s,s:s}", "tiers", tiers, "demotion_enabled",
	    t->demotion_enabled < 0 ? json_null() : json_boolean(t->demotion_enabled), "source",
	    t->source[0] ? t->source : TIERING_DIR, "demotion_source", DEMOTION_FILE);
	if (t->source[0]) /* a replayed file: demotion_enabled is none of its facts */
		json_object_set_new(o, "demotion_source", json_null());
	if (t->reason[0])
		json_object_set_new(o, "reason", json_string(t->reason));
	return o;
}

/* An XML replay's tiers: the MemoryTier info hwloc 2.10+ writes on each NUMA node (the index of
 * hwloc's tier, 0 the fastest; hwloc 3 writes the same in its 2.x exports). Nothing of this
 * host's: demotion_enabled is unknown. */
static void xml_tiers(struct nb_topo *t, hwloc_topology_t h)
{
	struct nb_tiering *tg = &t->tiering;
	memset(tg, 0, sizeof(*tg));
	tg->demotion_enabled = -1;
	int untiered = -1;
	for (int i = 0; i < t->nnodes; i++) {
		hwloc_obj_t o = hwloc_get_numanode_obj_by_os_index(h, (unsigned)t->nodes[i].id);
		const char *v = o ? hwloc_obj_get_info_by_name(o, "MemoryTier") : NULL;
		char *end;
		long id = v ? strtol(v, &end, 10) : -1;
		if (!v || end == v || *end || id < 0 || id > 4096) {
			untiered = untiered < 0 ? t->nodes[i].id : untiered;
			continue;
		}
		int k = 0;
		while (k < tg->ntiers && tg->tiers[k].id != (int)id)
			k++;
		if (k == tg->ntiers) {
			if (tg->ntiers >= NB_MAX_TIERS)
				continue;
			tg->tiers[tg->ntiers++].id = (int)id;
		}
		tg->tiers[k].nodes[tg->tiers[k].nnodes++] = t->nodes[i].id;
	}
	qsort(tg->tiers, (size_t)tg->ntiers, sizeof(tg->tiers[0]), cmp_tier);
	if (tg->ntiers) {
		tg->present = true;
		snprintf(tg->source, sizeof(tg->source),
			 "hwloc XML: the NUMA nodes' MemoryTier info (hwloc's tiers, 0 fastest)");
		if (untiered >= 0)
			topo_warn(
			    t,
			    "node %d has no MemoryTier info while other nodes have one: it is "
			    "in no tier",
			    untiered);
		return;
	}
	snprintf(tg->reason, sizeof(tg->reason),
		 "the replayed %s has no MemoryTier infos (hwloc 2.10+ writes them); the "
		 "kernel's tiers come from /sys (NUMABENCH_FSROOT)",
		 strncmp(t->source, "xml:", 4) ? "synthetic topology" : "XML file");
}

static int topo_load(struct nb_topo *t)
{
	hwloc_topology_t h;
	t->warnings = json_array();
	if (hwloc_topology_init(&h)) {
		nb_err("cannot load the topology with hwloc");
		return -1;
	}
	t->hwloc = h;
	int rc = set_replay(t, h);
	if (rc)
		return rc;
	/* The whole machine, also nodes and cpus this process's cpuset does not allow: the run
	 * restricts itself to the allowed ones (caps), and a node outside the cpuset is then
	 * named as such rather than as nonexistent. */
	if (hwloc_topology_set_flags(h, HWLOC_TOPOLOGY_FLAG_INCLUDE_DISALLOWED) ||
	    hwloc_topology_load(h)) {
		bool xml = !strncmp(t->source, "xml:", 4);
		nb_err("cannot load the topology %s with hwloc%s", t->source,
		       xml ? ": its XML importer refuses the file (HWLOC_XML_VERBOSE=1 shows "
			     "where)"
			   : "");
		return xml ? NB_TOPO_BAD_INPUT : -1;
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
	if (t->replayed && !t->fsroot_replay) {
		/* The kernel's memory tiers are a /sys fact; this host's would name its nodes. */
		xml_tiers(t, h);
	} else {
		nb_tiering_read(&t->tiering);
	}
	return 0;
}

int nb_topo_load(struct nb_topo *t)
{
	memset(t, 0, sizeof(*t));
	int rc = topo_load(t);
	if (rc == 0)
		return 0;
	nb_topo_free(t);
	return rc;
}

int nb_topo_exit_code(int load_rc)
{
	return load_rc == NB_TOPO_BAD_INPUT ? NB_EXIT_USAGE : NB_EXIT_ENV;
}

void nb_topo_free(struct nb_topo *t)
{
	if (t->hwloc)
		hwloc_topology_destroy((hwloc_topology_t)t->hwloc);
	json_decref(t->memattrs);
	json_decref(t->caches);
	json_decref(t->warnings);
	t->warnings = NULL;
	if (t->cpuset)
		numa_bitmask_free(t->cpuset);
	if (t->nodeset)
		numa_bitmask_free(t->nodeset);
	for (int i = 0; i < t->nnodes && i < NB_MAX_NODES; i++) {
		free(t->nodes[i].cpus);
		t->nodes[i].cpus = NULL;
	}
	free(t->cpu_node);
	free(t->pu_obj);
	t->cpu_node = NULL;
	t->pu_obj = NULL;
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
	if (t->cpu_node)
		return cpu >= 0 && cpu < t->cpu_slots ? t->cpu_node[cpu] : -1;
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
		json_array_append_new(
		    nodes,
		    json_pack("{s:i,s:o,s:I,s:o}", "id", t->nodes[i].id, "cpus", cpus,
			      "memory_bytes", (json_int_t)t->nodes[i].memory_bytes, "kind",
			      t->nodes[i].kind[0] ? json_string(t->nodes[i].kind) : json_null()));
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
	json_object_set_new(o, "source", json_string(t->source));
	json_object_set_new(o, "possible_nodes",
			    t->possible_nodes[0] ? json_string(t->possible_nodes) : json_null());
	json_object_set_new(o, "warnings", t->warnings ? json_incref(t->warnings) : json_array());
	return o;
}
