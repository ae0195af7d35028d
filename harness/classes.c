/* numabench: classes of symmetric node pairs (see classes.h). */
#include "classes.h"
#include "place.h"
#include "plan.h"
#include "stats.h"

#include <hwloc.h>
#include <stdlib.h>
#include <string.h>

struct node_key {
	int ncpus;
	uint64_t llc, hmat;
	uint64_t row[NB_MAX_NODES]; /* distance row, sorted */
};

struct pair_key {
	int local, across; /* across: in two packages (only without distances) */
	uint64_t dist;
	struct node_key c, m;
};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int index_of(const struct nb_topo *t, int id)
{
	for (int k = 0; k < t->nnodes; k++)
		if (t->nodes[k].id == id)
			return k;
	return -1;
}

static void node_key(const struct nb_topo *t, const struct nb_node_shape *shape, int k,
		     struct node_key *out)
{
	memset(out, 0, sizeof(*out));
	if (k < 0)
		return;
	out->ncpus = shape[k].ncpus;
	out->llc = shape[k].llc;
	out->hmat = shape[k].hmat;
	if (t->have_distances) {
		memcpy(out->row, t->distances[k], sizeof(uint64_t) * (size_t)t->nnodes);
		qsort(out->row, (size_t)t->nnodes, sizeof(uint64_t), cmp_u64);
	}
}

void nb_pair_classes(const struct nb_topo *t, const struct nb_node_shape *shape, const int *cn,
		     int ncn, const int *mn, int nmn, struct nb_pair_classes *pc)
{
	struct pair_key *keys = calloc((size_t)ncn * (size_t)nmn + 1, sizeof(*keys));
	memset(pc, 0, sizeof(*pc));
	pc->ncn = ncn;
	pc->nmn = nmn;
	memcpy(pc->cn, cn, sizeof(int) * (size_t)ncn);
	memcpy(pc->mn, mn, sizeof(int) * (size_t)nmn);
	for (int i = 0; i < ncn; i++)
		for (int j = 0; j < nmn; j++) {
			int a = index_of(t, cn[i]), b = index_of(t, mn[j]);
			struct pair_key k;
			memset(&k, 0, sizeof(k));
			k.local = cn[i] == mn[j];
			if (t->have_distances && a >= 0 && b >= 0)
				k.dist = t->distances[a][b];
			else if (a >= 0 && b >= 0)
				k.across =
				    shape[a].package != shape[b].package || shape[a].package < 0;
			node_key(t, shape, a, &k.c);
			node_key(t, shape, b, &k.m);
			int c = 0;
			while (c < pc->nclasses && memcmp(&keys[c], &k, sizeof(k)))
				c++;
			if (c == pc->nclasses) {
				keys[c] = k;
				pc->rep_cpu[c] = cn[i];
				pc->rep_mem[c] = mn[j];
				pc->nclasses++;
			}
			pc->cls[i][j] = c;
			pc->members[c]++;
		}
	free(keys);
}

int nb_pair_class_of(const struct nb_pair_classes *pc, int c, int m)
{
	for (int i = 0; i < pc->ncn; i++)
		for (int j = 0; j < pc->nmn; j++)
			if (pc->cn[i] == c && pc->mn[j] == m)
				return pc->cls[i][j];
	return -1;
}

/* FNV-1a over the sorted HMAT values of each attribute with node as target. */
static uint64_t hmat_hash(const struct nb_topo *t, int node)
{
	uint64_t h = 0;
	const char *name;
	json_t *list;
	if (!t->memattrs)
		return 0;
	json_object_foreach(t->memattrs, name, list)
	{
		if (!json_is_array(list))
			continue;
		uint64_t v[256];
		size_t n = 0, i;
		json_t *e;
		json_array_foreach(list, i, e)
		{
			if (n < 256 && json_integer_value(json_object_get(e, "target")) == node)
				v[n++] = (uint64_t)json_integer_value(json_object_get(e, "value"));
		}
		if (!n)
			continue;
		qsort(v, n, sizeof(uint64_t), cmp_u64);
		h = h ? h : 1469598103934665603ull;
		for (const char *s = name; *s; s++)
			h = (h ^ (uint64_t)(unsigned char)*s) * 1099511628211ull;
		for (size_t k = 0; k < n; k++)
			h = (h ^ v[k]) * 1099511628211ull;
	}
	return h;
}

static int node_package(const struct nb_topo *t, int node)
{
	hwloc_topology_t h = t->hwloc;
	if (!h)
		return -1;
	hwloc_obj_t o = hwloc_get_numanode_obj_by_os_index(h, (unsigned)node);
	hwloc_obj_t p = o ? hwloc_get_ancestor_obj_by_type(h, HWLOC_OBJ_PACKAGE, o) : NULL;
	return p ? (int)p->logical_index : -1;
}

void nb_pair_classes_ctx(const struct nb_ctx *ctx, struct nb_pair_classes *pc)
{
	const struct nb_topo *t = ctx->topo;
	struct nb_node_shape *shape = calloc(NB_MAX_NODES, sizeof(*shape));
	for (int k = 0; k < t->nnodes; k++) {
		int id = t->nodes[k].id;
		shape[k].ncpus = nb_ctx_node_cpus(ctx, id, NULL);
		shape[k].llc = nb_place_node_llc(t, id);
		shape[k].package = node_package(t, id);
		shape[k].hmat = hmat_hash(t, id);
	}
	int cn[NB_MAX_NODES], mn[NB_MAX_NODES];
	int ncn = nb_ctx_cpu_nodes(ctx, cn), nmn = nb_ctx_mem_nodes(ctx, mn);
	nb_pair_classes(t, shape, cn, ncn, mn, nmn, pc);
	free(shape);
}

const struct nb_choice nb_choices_pairs[] = {
    {"auto", NB_PAIRS_AUTO, "class above 16 pairs, else all"},
    {"class", NB_PAIRS_CLASS, "one pair per class fully, the others checked"},
    {"all", NB_PAIRS_ALL, "every pair fully"},
    {"reps", NB_PAIRS_REPS, "as auto, the others of a class not checked"},
    {NULL, 0, NULL},
};

int nb_class_mode(const struct nb_params *p, const struct nb_pair_classes *pc)
{
	const struct nb_param_val *v = nb_param_find(p, "pairs");
	int c = v ? v->choice : NB_PAIRS_ALL;
	bool big = pc->ncn * pc->nmn > NB_CLASS_AUTO_PAIRS;
	if (c == NB_PAIRS_CLASS)
		return NB_CLASS_CLASSES;
	if (c == NB_PAIRS_ALL || !big)
		return NB_CLASS_ALL;
	return c == NB_PAIRS_REPS ? NB_CLASS_REPS : NB_CLASS_CLASSES;
}

static const char *const role_names[] = {"full", "representative", "check", "covered"};

enum nb_class_role nb_class_cell(json_t *cell, const struct nb_pair_classes *pc, int mode, int c,
				 int m, bool check_point)
{
	int k = nb_pair_class_of(pc, c, m);
	if (k < 0)
		return NB_CLASS_FULL;
	bool rep = pc->rep_cpu[k] == c && pc->rep_mem[k] == m;
	enum nb_class_role role = mode == NB_CLASS_ALL			    ? NB_CLASS_FULL
				  : rep					    ? NB_CLASS_REP
				  : check_point && mode == NB_CLASS_CLASSES ? NB_CLASS_CHECK
									    : NB_CLASS_COVERED;
	char r[32], me[32];
	snprintf(r, sizeof(r), "%d>%d", pc->rep_cpu[k], pc->rep_mem[k]);
	snprintf(me, sizeof(me), "%d>%d", c, m);
	json_object_set_new(cell, "class",
			    json_pack("{s:i,s:s,s:s,s:i,s:s}", "id", k, "pair", me,
				      "representative", r, "members", pc->members[k], "role",
				      role_names[role]));
	return role;
}

/* The cell's pair "C>M": its class's pair, else (cells written before classes named it) its
 * cpu_node and mem_node. */
static const char *pair_of(json_t *cell, char *buf, size_t len)
{
	const char *p = json_string_value(json_object_get(json_object_get(cell, "class"), "pair"));
	if (p)
		return p;
	snprintf(buf, len, "%lld>%lld",
		 (long long)json_integer_value(json_object_get(cell, "cpu_node")),
		 (long long)json_integer_value(json_object_get(cell, "mem_node")));
	return buf;
}

bool nb_class_has_role(json_t *cell, const char *role)
{
	const char *r = json_string_value(json_object_get(json_object_get(cell, "class"), "role"));
	return r && !strcmp(r, role);
}

enum nb_status nb_class_covered(json_t *cell)
{
	json_t *cls = json_object_get(cell, "class");
	char pb[48];
	nb_run_reason(cell,
		      "class: pair %s is in class %lld with representative %s, measured "
		      "there; this pair is checked at the bench's check point, or not at all with "
		      "pairs=reps (pairs=all measures every pair)",
		      pair_of(cell, pb, sizeof(pb)),
		      (long long)json_integer_value(json_object_get(cls, "id")),
		      json_string_value(json_object_get(cls, "representative")));
	return NB_SKIPPED;
}

bool nb_class_is_check(json_t *cell)
{
	return nb_class_has_role(cell, "check");
}

int nb_class_samples(const struct nb_ctx *ctx)
{
	int n = nb_plan_samples(ctx);
	return n < NB_CLASS_CHECK_SAMPLES ? n : NB_CLASS_CHECK_SAMPLES;
}

void nb_class_rule(const struct nb_ctx *ctx, struct nb_rule *r)
{
	int n = nb_class_samples(ctx);
	nb_design_make(&r->design, &n, 1, NB_CI_ALPHA);
	r->min_reps = r->max_reps = n;
}

static bool ci_of(json_t *cell, const char *metric, double *lo, double *hi)
{
	json_t *ci =
	    json_object_get(json_object_get(json_object_get(cell, "metrics"), metric), "ci95");
	if (!json_is_number(json_array_get(ci, 0)) || !json_is_number(json_array_get(ci, 1)))
		return false;
	*lo = json_number_value(json_array_get(ci, 0));
	*hi = json_number_value(json_array_get(ci, 1));
	return true;
}

void nb_class_judge(json_t *run, json_t *cells, json_t *cell, const char *metric,
		    const char *const *keys)
{
	json_t *cls = json_object_get(cell, "class"), *rep = NULL, *e;
	const char *r = json_string_value(json_object_get(cls, "representative"));
	size_t i;
	if (!r)
		return;
	json_array_foreach(cells, i, e)
	{
		char eb[48];
		bool same = json_is_object(e) && !strcmp(pair_of(e, eb, sizeof(eb)), r);
		for (int k = 0; keys[k] && same; k++) {
			json_t *x = json_object_get(e, keys[k]),
			       *y = json_object_get(cell, keys[k]);
			same = (!x && !y) || json_equal(x, y); /* absent in both: the same */
		}
		if (same)
			rep = e;
	}
	json_t *cc = json_object_get(run, "class_checks");
	if (!cc) {
		cc = json_pack("{s:i,s:i,s:[]}", "checked", 0, "agree", 0, "differ");
		json_object_set_new(run, "class_checks", cc);
	}
	double lo, hi, rlo, rhi;
	if (!rep || !ci_of(cell, metric, &lo, &hi) || !ci_of(rep, metric, &rlo, &rhi)) {
		json_object_set_new(cls, "agrees", json_null());
		return;
	}
	bool agrees = lo <= rhi && rlo <= hi;
	json_object_set_new(cls, "agrees", json_boolean(agrees));
	json_object_set_new(cc, "checked",
			    json_integer(json_integer_value(json_object_get(cc, "checked")) + 1));
	json_object_set_new(
	    cc, "agree", json_integer(json_integer_value(json_object_get(cc, "agree")) + agrees));
	if (agrees)
		return;
	char note[256], pb[48];
	snprintf(note, sizeof(note),
		 "class check: %s differs from representative %s: %s CI [%.4g, %.4g] vs "
		 "[%.4g, %.4g]",
		 pair_of(cell, pb, sizeof(pb)), r, metric, lo, hi, rlo, rhi);
	json_object_set_new(cls, "note", json_string(note));
	json_array_append_new(json_object_get(cc, "differ"), json_string(note));
}
