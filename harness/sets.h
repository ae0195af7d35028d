/* numabench: cpu and node sets as bitmaps (libnuma struct bitmask), one range-list formatter
 * and the --cpus/--nodes parser (numactl syntax, by libnuma). */
#ifndef NB_SETS_H
#define NB_SETS_H

#include "nb.h"

#include <numa.h>

struct hwloc_bitmap_s; /* hwloc_const_bitmap_t, without pulling hwloc.h into every user */

enum nb_set_kind { NB_SET_CPUS, NB_SET_NODES };

/* Node ids as the kernel allows them: MAX_NUMNODES (CONFIG_NODES_SHIFT=10 on Debian's x86-64
 * and arm64 kernels). Ids are sparse (a real AMD machine: 0-2,33-34,45,72-73; POWER9 with
 * NVIDIA GPU memory: 0,8,250-255), so a bitmap or an array indexed by node id has this many
 * entries; arrays indexed by position have NB_MAX_NODES (topo.h). */
#define NB_MAX_NODE_ID 1024

/* "0-95,192-287": the one formatter of cpu and node lists (JSON strings and text). Malloc'ed,
 * never truncated; "" for an empty or NULL set. NULL only when out of memory. */
char *nb_set_str(const struct bitmask *b);
/* The same as a JSON string ("" for an empty or NULL set). */
json_t *nb_set_json(const struct bitmask *b);

/* A bitmask of at least nbits bits (libnuma's allocator aborts on no memory). */
struct bitmask *nb_set_new(unsigned nbits);
struct bitmask *nb_set_copy(const struct bitmask *b);
/* The same set from hwloc; NULL for an infinite set. */
struct bitmask *nb_set_from_hwloc(const struct hwloc_bitmap_s *h);
/* Highest set bit, or -1 for an empty or NULL set. */
int nb_set_last(const struct bitmask *b);
bool nb_set_has(const struct bitmask *b, int id);
unsigned nb_set_count(const struct bitmask *b);
/* Ids of the set in increasing order into out[max]. -1 with a one-line message in err when a
 * node id is NB_MAX_NODE_ID or more, or the set has more than max ids (cpus have no id limit:
 * size out by nb_set_count): numabench's limits are never silently applied. */
int nb_set_ids(const struct bitmask *b, int *out, int max, enum nb_set_kind k, char *err,
	       size_t errlen);

/*
 * A --cpus or --nodes value in numactl's syntax, parsed by libnuma
 * (numa_parse_cpustring_all / numa_parse_nodestring_all): "0-3,5", "all" (here: every id of
 * `all`, the allowed set), "!LIST" (every id but LIST), "+LIST" (ids counted within this task's
 * cpuset: numa_parse_cpustring / numa_parse_nodestring). *named is set when the value names
 * its ids one by one (no "all", no "!"): each must then be usable, while "all" and "!" forms are
 * meant within the allowed set. NULL on a value libnuma refuses, with libnuma's reason in err
 * (and nothing printed: libnuma's warnings are captured while parsing); *bad_id is the id it
 * names as out of range, or -1.
 */
struct bitmask *nb_set_parse(enum nb_set_kind k, const char *s, const struct bitmask *all,
			     bool *named, long *bad_id, char *err, size_t errlen);

#endif
