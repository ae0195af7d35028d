/* numabench analysis: aligning a result against the baseline for `numabench compare`.
 * Runs align by bench and params, cells by their identity fields, metrics by key. */
#include "an_compare.h"
#include "an_json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef void label_fn(const json_t *o, const json_t *ctx, char *buf, size_t len);

/* Keys of the elements of an array: label(i), with " #k" for the k-th repeat of a label. */
static char **keys_of(const json_t *arr, label_fn *label, const json_t *ctx)
{
	size_t n = json_array_size(arr);
	char **k = calloc(n + 1, sizeof(char *)), **lab = calloc(n + 1, sizeof(char *));
	char buf[AN_TEXT_MAX];
	if (!k || !lab)
		abort();
	for (size_t i = 0; i < n; i++) {
		int rep = 1;
		label(json_array_get(arr, i), ctx, buf, sizeof(buf));
		if (!(lab[i] = strdup(buf)))
			abort();
		for (size_t j = 0; j < i; j++)
			rep += !strcmp(lab[j], buf);
		if ((rep > 1 ? asprintf(&k[i], "%s #%d", buf, rep) : asprintf(&k[i], "%s", buf)) <
		    0)
			abort();
	}
	for (size_t i = 0; i < n; i++)
		free(lab[i]);
	free(lab);
	return k;
}

static void keys_free(char **k)
{
	for (size_t i = 0; k && k[i]; i++)
		free(k[i]);
	free(k);
}

static int key_find(char **keys, const char *k)
{
	for (int i = 0; keys[i]; i++)
		if (!strcmp(keys[i], k))
			return i;
	return -1;
}

/* A run as shown: its bench and its parameters as typed. */
static void run_label(const json_t *run, const json_t *ctx, char *buf, size_t len)
{
	char params[AN_TEXT_MAX];
	(void)ctx;
	an_params_text(json_object_get(run, "params"), params, sizeof(params));
	snprintf(buf, len, "%s %s", json_string_value(json_object_get(run, "bench")), params);
}

/* A run as matched: with ctx true (both files record them), its parameters as values
 * ("params_canonical": 1M and 1024K are one size, a sweep's order does not count); else as
 * shown. */
static void run_key(const json_t *run, const json_t *ctx, char *buf, size_t len)
{
	char *c = ctx ? json_dumps(json_object_get(run, "params_canonical"),
				   JSON_SORT_KEYS | JSON_COMPACT)
		      : NULL;
	if (c)
		snprintf(buf, len, "%s %s", json_string_value(json_object_get(run, "bench")), c);
	else
		run_label(run, NULL, buf, len);
	free(c);
}

/* Every run of both documents records its parameters as values. */
static bool all_canonical(const json_t *ra, const json_t *rb)
{
	size_t i;
	json_t *r;
	json_array_foreach((json_t *)ra, i, r)
	{
		if (!json_is_object(json_object_get(r, "params_canonical")))
			return false;
	}
	json_array_foreach((json_t *)rb, i, r)
	{
		if (!json_is_object(json_object_get(r, "params_canonical")))
			return false;
	}
	return true;
}

/* A cell by the identity its run declares (ctx: the run's "identity" array, fields in order;
 * size_bytes shown as size=1M), or else by analysis's list of identity fields. */
static void cell_label(const json_t *cell, const json_t *ctx, char *buf, size_t len)
{
	if (json_array_size(ctx)) {
		struct an_sb s;
		char v[AN_TEXT_MAX];
		size_t i;
		json_t *f;
		an_sb_init(&s, buf, len);
		json_array_foreach((json_t *)ctx, i, f)
		{
			const char *name = json_string_value(f);
			const json_t *x = name ? json_object_get(cell, name) : NULL;
			if (!x || !an_is_scalar(x))
				continue;
			bool size = !strcmp(name, "size_bytes") && json_is_integer(x);
			if (size)
				nb_fmt_size((uint64_t)json_integer_value(x), v, sizeof(v));
			else
				an_value_text(x, v, sizeof(v));
			an_sb_add(&s, "%s%s=%s", s.pos ? " " : "", size ? "size" : name, v);
		}
	} else {
		an_cell_label(cell, NULL, buf, len);
	}
	if (!*buf)
		snprintf(buf, len, "cell");
}

/* A cell's metrics: its "metrics", and any other field that carries samples. */
static json_t *metrics_of(const json_t *o)
{
	json_t *ms = json_object(), *v;
	const char *k;
	json_object_update(ms, json_object_get(o, "metrics"));
	json_object_foreach((json_t *)o, k, v)
	{
		if (json_is_array(json_object_get(v, "samples")) && strcmp(k, "metrics"))
			json_object_set(ms, k, v);
	}
	return ms;
}

static void note(struct an_cmp_set *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct an_cmp_set *k, const char *fmt, ...)
{
	va_list ap;
	char buf[2 * AN_TEXT_MAX];
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	an_names_add(&k->notes, buf);
}

static const char *unit_of(const json_t *m)
{
	const char *u = json_string_value(json_object_get(m, "unit"));
	return u ? u : "";
}

/* Units and directions must agree: a ratio of ns to us, or of "lower" to "higher", is no
 * comparison. -1 after one error line. */
static int check_same(const struct an_cmp_set *k, const char *where, const json_t *ma,
		      const json_t *mb)
{
	if (strcmp(unit_of(ma), unit_of(mb))) {
		nb_err("compare: %s: unit \"%s\" in %s but \"%s\" in %s; refusing to compare "
		       "different units",
		       where, unit_of(ma), k->an, unit_of(mb), k->bn);
		return -1;
	}
	if (an_metric_dir(ma) != an_metric_dir(mb)) {
		nb_err("compare: %s: direction \"%s\" in %s but \"%s\" in %s; refusing to compare",
		       where, an_dir_text(an_metric_dir(ma)), k->an, an_dir_text(an_metric_dir(mb)),
		       k->bn);
		return -1;
	}
	return 0;
}

static void add_row(struct an_cmp_set *k, int group, const char *cell, const char *name,
		    const json_t *ma, const json_t *mb, bool untrusted)
{
	double *a, *b;
	int na = an_metric_samples(ma, &a), nb = an_metric_samples(mb, &b);
	k->rows = realloc(k->rows, sizeof(*k->rows) * (k->nrows + 1));
	if (!k->rows)
		abort();
	struct an_row *r = &k->rows[k->nrows++];
	*r = (struct an_row){
	    group,     strdup(cell), strdup(name), strdup(unit_of(ma)), an_metric_dir(ma),
	    untrusted, NAN,	     {0}};
	r->c.min_change = k->practical;
	an_compare(a, na, b, nb, r->dir, &r->c);
	free(a);
	free(b);
}

/* A timing measured under emulation (QEMU TCG: the metric says `emulated: true`) tells
 * nothing about hardware: its row is flagged as an untrustworthy one is, so that it never
 * counts for --threshold unless asked (--include-untrustworthy), and a note says why once. */
static bool emulated(struct an_cmp_set *k, const json_t *ma, const json_t *mb)
{
	if (!json_is_true(json_object_get(ma, "emulated")) &&
	    !json_is_true(json_object_get(mb, "emulated")))
		return false;
	if (!k->noted_emulated)
		note(k,
		     "timings emulated (QEMU TCG) in %s: their rows are marked ? and do not count "
		     "for --threshold (counts such as faults and migrations are compared as "
		     "measured)",
		     json_is_true(json_object_get(ma, "emulated")) ? k->an : k->bn);
	k->noted_emulated = true;
	return true;
}

static int compare_metrics(struct an_cmp_set *k, int group, const char *cell, const json_t *oa,
			   const json_t *ob, bool untrusted)
{
	json_t *msa = metrics_of(oa), *msb = metrics_of(ob), *ma;
	const char *name, *g = k->groups.v[group];
	char where[3 * AN_TEXT_MAX];
	int rc = 0;
	json_object_foreach(msa, name, ma)
	{
		const json_t *mb = json_object_get(msb, name);
		snprintf(where, sizeof(where), "%s%s%s: %s", g, *cell ? ", " : "", cell, name);
		if (!mb)
			note(k, "%s: only in %s", where, k->an);
		else if ((rc = check_same(k, where, ma, mb)))
			break;
		else
			add_row(k, group, cell, name, ma, mb, untrusted || emulated(k, ma, mb));
	}
	json_object_foreach(msb, name, ma)
	{
		if (!rc && !json_object_get(msa, name))
			note(k, "%s%s%s: %s: only in %s", g, *cell ? ", " : "", cell, name, k->bn);
	}
	json_decref(msa);
	json_decref(msb);
	return rc;
}

static bool changed_in_kind(const json_t *a, const json_t *b)
{
	char ta[AN_TEXT_MAX], tb[AN_TEXT_MAX];
	if (json_is_number(a) && json_is_number(b))
		return (an_num(a) == 0) != (an_num(b) == 0);
	an_value_text(a, ta, sizeof(ta));
	an_value_text(b, tb, sizeof(tb));
	return strcmp(ta, tb) != 0;
}

static void add_change(struct an_cmp_set *k, int group, const char *cell, const char *field,
		       const json_t *a, const json_t *b)
{
	char ta[AN_TEXT_MAX], tb[AN_TEXT_MAX];
	an_value_text(a, ta, sizeof(ta));
	an_value_text(b, tb, sizeof(tb));
	k->changes = realloc(k->changes, sizeof(*k->changes) * (k->nchanges + 1));
	if (!k->changes)
		abort();
	k->changes[k->nchanges++] =
	    (struct an_change){group, strdup(cell), strdup(field), strdup(ta), strdup(tb)};
}

/* Scalar fields that are not identity fields: what a cell or mode found out. */
static void compare_values(struct an_cmp_set *k, int group, const char *cell, const json_t *oa,
			   const json_t *ob)
{
	const char *f;
	json_t *a, *b;
	json_object_foreach((json_t *)oa, f, a)
	{
		b = json_object_get(ob, f);
		if (an_ident_rank(f) < 0 && an_is_scalar(a) && (!b || an_is_scalar(b)) &&
		    changed_in_kind(a, b))
			add_change(k, group, cell, f, a, b);
	}
	json_object_foreach((json_t *)ob, f, b)
	{
		if (an_ident_rank(f) < 0 && an_is_scalar(b) && !json_object_get(oa, f))
			add_change(k, group, cell, f, NULL, b);
	}
}

static bool cell_untrusted(const json_t *c)
{
	const char *st = json_string_value(json_object_get(c, "status"));
	return st && !strcmp(st, "untrustworthy");
}

/* Cells (or modes) align by their identity fields. */
static int compare_records(struct an_cmp_set *k, int group, const json_t *ca, const json_t *cb,
			   bool untrusted, const json_t *ident)
{
	char **ka = keys_of(ca, cell_label, ident), **kb = keys_of(cb, cell_label, ident);
	int rc = 0;
	for (int i = 0; ka[i] && !rc; i++) {
		int j = key_find(kb, ka[i]);
		if (j < 0)
			note(k, "%s, %s: only in %s", k->groups.v[group], ka[i], k->an);
		else if (!(rc = compare_metrics(
			       k, group, ka[i], json_array_get(ca, i), json_array_get(cb, j),
			       untrusted || cell_untrusted(json_array_get(ca, i)) ||
				   cell_untrusted(json_array_get(cb, j)))))
			compare_values(k, group, ka[i], json_array_get(ca, i),
				       json_array_get(cb, j));
	}
	for (int j = 0; kb[j] && !rc; j++)
		if (key_find(ka, kb[j]) < 0)
			note(k, "%s, %s: only in %s", k->groups.v[group], kb[j], k->bn);
	keys_free(ka);
	keys_free(kb);
	return rc;
}

/* Arrays of cells, of verdicts (gup: one per path) or of modes (balance: each with its
 * timeline); not of samples. */
static bool records(const char *key, const json_t *v)
{
	const json_t *first = json_array_get(v, 0);
	return json_is_object(first) && !json_object_get(first, "t_s") &&
	       (!strcmp(key, "cells") || !strcmp(key, "verdicts") || an_timeline_like(v));
}

static int compare_arrays(struct an_cmp_set *k, int group, const json_t *ra, const json_t *rb,
			  bool untrusted)
{
	const char *key;
	json_t *va;
	int rc = 0;
	/* records pair by the identity both runs declare (of their "cells", or of the array
	 * "identity_records" names); else (older files) by the default list */
	const json_t *ia = json_object_get(ra, "identity"), *ib = json_object_get(rb, "identity");
	const json_t *ident = ia && ib && json_equal((json_t *)ia, (json_t *)ib) ? ia : NULL;
	const char *of = json_string_value(json_object_get(ra, "identity_records"));
	json_object_foreach((json_t *)ra, key, va)
	{
		const json_t *vb = json_object_get(rb, key);
		bool declared = of && !strcmp(key, of) && json_is_object(json_array_get(va, 0));
		if (!rc && (declared || records(key, va)) && json_is_array(vb))
			rc = compare_records(k, group, va, vb, untrusted,
					     !strcmp(key, of ? of : "cells") ? ident : NULL);
	}
	return rc;
}

static bool status_is(const json_t *run, const char *s)
{
	const char *st = json_string_value(json_object_get(run, "status"));
	return st && !strcmp(st, s);
}

/* Skipped or failed runs have nothing to compare; untrustworthy ones are compared, flagged. */
static bool comparable(struct an_cmp_set *k, const char *label, const json_t *run, const char *file)
{
	const char *reason = json_string_value(json_object_get(run, "reason"));
	const char *st = json_string_value(json_object_get(run, "status"));
	if (!st || status_is(run, "ok"))
		return true;
	note(k, "%s: %s in %s%s%s", label, st, file, reason ? ": " : "", reason ? reason : "");
	return status_is(run, "untrustworthy");
}

static int compare_run(struct an_cmp_set *k, const char *label, const json_t *ra, const json_t *rb)
{
	int group = an_names_add(&k->groups, label);
	bool ok_a = comparable(k, label, ra, k->an), ok_b = comparable(k, label, rb, k->bn);
	bool untrusted = status_is(ra, "untrustworthy") || status_is(rb, "untrustworthy");
	if (!ok_a || !ok_b)
		return 0;
	if (compare_metrics(k, group, "", ra, rb, untrusted))
		return -1;
	return compare_arrays(k, group, ra, rb, untrusted);
}

int an_cmp_build(struct an_cmp_set *k)
{
	const json_t *ra = json_object_get(k->a, "runs"), *rb = json_object_get(k->b, "runs");
	json_t *canon = all_canonical(ra, rb) ? json_true() : NULL;
	char **ka = keys_of(ra, run_key, canon), **kb = keys_of(rb, run_key, canon);
	char **la = keys_of(ra, run_label, NULL), **lb = keys_of(rb, run_label, NULL);
	int rc = 0;
	for (int i = 0; ka[i] && !rc; i++) {
		int j = key_find(kb, ka[i]);
		if (j < 0)
			note(k, "%s: only in %s", la[i], k->an);
		else
			rc = compare_run(k, la[i], json_array_get(ra, i), json_array_get(rb, j));
	}
	for (int j = 0; kb[j] && !rc; j++)
		if (key_find(ka, kb[j]) < 0)
			note(k, "%s: only in %s", lb[j], k->bn);
	keys_free(ka);
	keys_free(kb);
	keys_free(la);
	keys_free(lb);
	json_decref(canon);
	return rc;
}

void an_cmp_free(struct an_cmp_set *k)
{
	for (int i = 0; i < k->nrows; i++) {
		free(k->rows[i].cell);
		free(k->rows[i].metric);
		free(k->rows[i].unit);
	}
	free(k->rows);
	for (int i = 0; i < k->nchanges; i++) {
		struct an_change *c = &k->changes[i];
		free(c->cell);
		free(c->field);
		free(c->a);
		free(c->b);
	}
	free(k->changes);
	an_names_free(&k->groups);
	an_names_free(&k->notes);
}

static int by_p(const void *a, const void *b)
{
	double x = (*(struct an_row *const *)a)->c.p, y = (*(struct an_row *const *)b)->c.p;
	return x < y ? -1 : x > y;
}

void an_cmp_bh(struct an_cmp_set *k)
{
	struct an_row **v = calloc(k->nrows + 1, sizeof(*v));
	int m = 0;
	if (!v)
		abort();
	for (int i = 0; i < k->nrows; i++)
		if (!isnan(k->rows[i].c.p))
			v[m++] = &k->rows[i];
	qsort(v, m, sizeof(*v), by_p);
	double run = 1;
	for (int i = m - 1; i >= 0; i--) { /* q_i = min over j >= i of p_j * m / j */
		run = fmin(run, v[i]->c.p * m / (i + 1));
		v[i]->q = run;
	}
	for (int i = 0; i < m; i++) {
		struct an_cmp c = v[i]->c;
		c.p = v[i]->q;
		v[i]->c.verdict = an_judge(&c, v[i]->dir);
		v[i]->c.stat_sig = an_stat_sig(&c);
	}
	free(v);
}
