/* numabench: cpu and node sets as bitmaps, their one range-list formatter and the numactl-syntax
 * parser of --cpus/--nodes (libnuma). */
#include "sets.h"

#include <hwloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *nb_set_str(const struct bitmask *b)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	int n = 0;
	for (unsigned i = 0; b && i < b->size; i++) {
		if (!numa_bitmask_isbitset(b, i))
			continue;
		unsigned j = i;
		while (j + 1 < b->size && numa_bitmask_isbitset(b, j + 1))
			j++;
		if (j > i)
			fprintf(f, "%s%u-%u", n++ ? "," : "", i, j);
		else
			fprintf(f, "%s%u", n++ ? "," : "", i);
		i = j;
	}
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

json_t *nb_set_json(const struct bitmask *b)
{
	char *s = nb_set_str(b);
	json_t *j = json_string(s ? s : "");
	free(s);
	return j;
}

struct bitmask *nb_set_new(unsigned nbits)
{
	return numa_bitmask_alloc(nbits ? nbits : 1);
}

struct bitmask *nb_set_copy(const struct bitmask *b)
{
	struct bitmask *c = nb_set_new(b ? b->size : 1);
	for (unsigned i = 0; b && i < b->size; i++)
		if (numa_bitmask_isbitset(b, i))
			numa_bitmask_setbit(c, i);
	return c;
}

struct bitmask *nb_set_from_hwloc(const struct hwloc_bitmap_s *h)
{
	int last = hwloc_bitmap_last(h);
	if (hwloc_bitmap_weight(h) < 0) /* infinite */
		return NULL;
	struct bitmask *b = nb_set_new(last < 0 ? 1 : (unsigned)last + 1);
	unsigned id;
	hwloc_bitmap_foreach_begin(id, h)
	{
		numa_bitmask_setbit(b, id);
	}
	hwloc_bitmap_foreach_end();
	return b;
}

int nb_set_last(const struct bitmask *b)
{
	for (unsigned i = b ? b->size : 0; i-- > 0;)
		if (numa_bitmask_isbitset(b, i))
			return (int)i;
	return -1;
}

bool nb_set_has(const struct bitmask *b, int id)
{
	return b && id >= 0 && (unsigned)id < b->size && numa_bitmask_isbitset(b, (unsigned)id);
}

unsigned nb_set_count(const struct bitmask *b)
{
	return b ? numa_bitmask_weight(b) : 0;
}

int nb_set_ids(const struct bitmask *b, int *out, int max, enum nb_set_kind k, char *err,
	       size_t errlen)
{
	/* Node ids are kept as ids (sparse, up to the kernel's MAX_NUMNODES); cpu ids have no
	 * limit. Only the count is bounded by out[max]. */
	int n = 0;
	for (unsigned i = 0; b && i < b->size; i++) {
		if (!numa_bitmask_isbitset(b, i))
			continue;
		if (k == NB_SET_NODES && i >= NB_MAX_NODE_ID) {
			snprintf(
			    err, errlen,
			    "node %u is beyond numabench's limit: it handles node ids 0-%u "
			    "(NB_MAX_NODE_ID, the kernel's MAX_NUMNODES); rebuild with a larger "
			    "NB_MAX_NODE_ID",
			    i, NB_MAX_NODE_ID - 1);
			return -1;
		}
		if (n >= max) {
			if (k == NB_SET_NODES)
				snprintf(err, errlen,
					 "more than %d nodes: numabench handles %d (NB_MAX_NODES); "
					 "rebuild with a larger NB_MAX_NODES",
					 max, max);
			else
				snprintf(err, errlen, "more than %d cpus in a list of %d", max,
					 max);
			return -1;
		}
		out[n++] = (int)i;
	}
	return n;
}

/*
 * libnuma reports through numa_warn(), a weak symbol it lets a program replace. While a
 * --cpus/--nodes value is parsed its reason is kept for numabench's own one-line message;
 * otherwise a warning is printed as libnuma's default does (once per kind, exit when
 * numa_exit_on_warn), with numabench's prefix.
 */
static char *warn_buf;
static size_t warn_len;

void numa_warn(int num, char *fmt, ...)
{
	static unsigned warned;
	va_list ap;
	va_start(ap, fmt);
	if (warn_buf) {
		if (!warn_buf[0]) { /* the first reason is the one that stopped the parse */
			vsnprintf(warn_buf, warn_len, fmt, ap);
			warn_buf[strcspn(warn_buf, "\n")] = 0;
		}
		va_end(ap);
		return;
	}
	if (num >= 0 && num < 32 && (warned & (1u << num))) {
		va_end(ap);
		return;
	}
	if (num >= 0 && num < 32)
		warned |= 1u << num;
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	msg[strcspn(msg, "\n")] = 0;
	nb_warn("libnuma: %s", msg);
	if (numa_exit_on_warn)
		exit(1);
}

struct bitmask *nb_set_parse(enum nb_set_kind k, const char *s, const struct bitmask *all,
			     bool *named, long *bad_id, char *err, size_t errlen)
{
	char why[256] = "";
	const char *p = s + (s[0] == '!');
	bool relative = p[0] == '+';
	*bad_id = -1;
	*named = s[0] != '!' && strcmp(s, "all") != 0;
	if (!strcmp(s, "all"))
		return nb_set_copy(all);
	warn_buf = why;
	warn_len = sizeof(why);
	struct bitmask *b =
	    k == NB_SET_CPUS ? (relative ? numa_parse_cpustring(s) : numa_parse_cpustring_all(s))
			     : (relative ? numa_parse_nodestring(s) : numa_parse_nodestring_all(s));
	warn_buf = NULL;
	if (b)
		return b;
	/* The id libnuma names as out of range (not for relative ids: they count within the
	 * cpuset and name no id). */
	const char *d = strstr(why, "out of range") ? strpbrk(why, "0123456789") : NULL;
	if (d && !relative)
		*bad_id = strtol(d, NULL, 10);
	snprintf(err, errlen, "libnuma: %s", why[0] ? why : "cannot parse it");
	return NULL;
}
