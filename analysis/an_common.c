/* numabench analysis: pieces shared by report and compare (neither depends on the other). */
#include "an_common.h"
#include "an_json.h"

#include <stdlib.h>
#include <string.h>

int an_names_find(const struct an_names *s, const char *name)
{
	for (int i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], name))
			return i;
	return -1;
}

int an_names_add(struct an_names *s, const char *name)
{
	int i = an_names_find(s, name);
	if (i >= 0)
		return i;
	s->v = realloc(s->v, sizeof(*s->v) * (s->n + 1));
	if (!s->v || !(s->v[s->n] = strdup(name)))
		abort();
	return s->n++;
}

void an_names_free(struct an_names *s)
{
	for (int i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	*s = (struct an_names){0};
}

void an_names_sort(struct an_names *s, int (*rank)(const char *))
{
	for (int a = 1; a < s->n; a++) /* insertion sort: stable, and lists are short */
		for (int b = a; b > 0 && rank(s->v[b - 1]) > rank(s->v[b]); b--) {
			char *t = s->v[b];
			s->v[b] = s->v[b - 1];
			s->v[b - 1] = t;
		}
}

enum an_style an_status_style(const char *status)
{
	if (!status || !strcmp(status, "skipped"))
		return AN_PLAIN;
	if (!strcmp(status, "ok"))
		return AN_GOOD;
	return !strcmp(status, "failed") ? AN_BAD : AN_WARN;
}

const char *an_status_mark(const char *status)
{
	if (!status || !strcmp(status, "ok"))
		return "";
	if (!strcmp(status, "untrustworthy"))
		return "?";
	return !strcmp(status, "failed") ? "!" : "~";
}

bool an_doc_emulated(const json_t *doc)
{
	const json_t *host = json_object_get(doc, "host");
	const json_t *te = json_object_get(host, "timing_emulated");
	if (json_is_boolean(te))
		return json_is_true(te);
	const char *virt = json_string_value(json_object_get(host, "virtualization"));
	return virt && strstr(virt, "tcg");
}

static bool in_list(const char *const *list, const char *s)
{
	for (int i = 0; list && list[i]; i++)
		if (!strcmp(list[i], s))
			return true;
	return false;
}

static bool object_array(const json_t *v)
{
	size_t i;
	json_t *x;
	if (!json_is_array(v) || !json_array_size(v))
		return false;
	json_array_foreach(v, i, x)
	{
		if (!json_is_object(x))
			return false;
	}
	return true;
}

/* Leaves of v as rows; arrays of objects are collected in later (path -> value). */
static void kv_rows(struct an_table *t, const char *path, const json_t *v, json_t *later)
{
	char sub[512], text[AN_TEXT_MAX];
	const char *k;
	json_t *x;
	if (object_array(v)) {
		json_object_set(later, path, (json_t *)v);
		return;
	}
	if (!json_is_object(v) || !json_object_size(v)) {
		an_value_text(v, text, sizeof(text));
		an_table_row(t);
		an_table_cell(t, AN_PLAIN, "%s", path);
		an_table_cell(t, AN_PLAIN, "%s", text);
		return;
	}
	json_object_foreach((json_t *)v, k, x)
	{
		snprintf(sub, sizeof(sub), "%s.%s", path, k);
		kv_rows(t, sub, x, later);
	}
}

int an_kv(struct an_doc *d, const json_t *obj, const char *const *first, const char *const *skip)
{
	struct an_table *t = an_table_new();
	json_t *later = json_object(), *x;
	const char *k;
	an_table_col(t, "field");
	an_table_col(t, "value");
	for (int i = 0; first && first[i]; i++)
		if ((x = json_object_get(obj, first[i])))
			kv_rows(t, first[i], x, later);
	json_object_foreach((json_t *)obj, k, x)
	{
		if (!in_list(first, k) && !in_list(skip, k))
			kv_rows(t, k, x, later);
	}
	int n = an_table_rows(t) + (int)json_object_size(later);
	if (an_table_rows(t))
		an_table_emit(d, t);
	else
		an_table_free(t);
	json_object_foreach(later, k, x)
	{
		an_generic(d, k, x);
	}
	json_decref(later);
	return n;
}

/* Measured fields the benches document, in the order their issues list them. */
static const char *const measured_order[] = {"pte_updates",	  "hint_faults",
					     "hint_faults_local", "pages_migrated",
					     "pgmigrate_success", "pgmigrate_fail",
					     "placement_before",  "placement_after",
					     "reader_minflt",	  "convergence_s",
					     "latency_ns",	  "errno",
					     "verdict",		  NULL};

/* Identity fields first, then documented measured fields, then the rest. */
static int column_rank(const char *k)
{
	int r = an_ident_rank(k);
	for (int i = 0; r < 0 && measured_order[i]; i++)
		if (!strcmp(measured_order[i], k))
			r = 100 + i;
	return r < 0 ? 1000 : r;
}

/* Columns of an object table in column_rank order, first-seen order within a rank; a
 * "metrics" object contributes one column per metric. */
static void object_columns(const json_t *arr, const char *const *skip, struct an_names *cols)
{
	size_t i;
	const char *k, *mk;
	json_t *o, *x, *m;
	json_array_foreach(arr, i, o)
	{
		json_object_foreach(o, k, x)
		{
			if (in_list(skip, k))
				continue;
			if (strcmp(k, "metrics")) {
				an_names_add(cols, k);
				continue;
			}
			json_object_foreach(x, mk, m)
			{
				an_names_add(cols, mk);
			}
		}
	}
	an_names_sort(cols, column_rank);
}

void an_object_table(struct an_doc *d, const json_t *arr, const char *const *skip)
{
	struct an_names cols = {0};
	struct an_table *t = an_table_new();
	char text[AN_TEXT_MAX];
	size_t i;
	json_t *o;
	object_columns(arr, skip, &cols);
	for (int c = 0; c < cols.n; c++)
		an_table_col(t, cols.v[c]);
	json_array_foreach(arr, i, o)
	{
		an_table_row(t);
		for (int c = 0; c < cols.n; c++) {
			const json_t *v = json_object_get(o, cols.v[c]);
			if (!v)
				v = json_object_get(json_object_get(o, "metrics"), cols.v[c]);
			an_value_text(v, text, sizeof(text));
			if (!strcmp(cols.v[c], "status") &&
			    json_is_string(v)) /* marked, as cells are */
				an_table_cell(t, an_status_style(text), "%s%s", text,
					      an_status_mark(text));
			else
				an_table_cell(t, AN_PLAIN, "%s", text);
		}
	}
	an_table_emit(d, t);
	an_names_free(&cols);
}

void an_generic(struct an_doc *d, const char *name, const json_t *v)
{
	char text[AN_TEXT_MAX];
	if (object_array(v)) {
		an_h(d, 3, "%s", name);
		an_object_table(d, v, NULL);
	} else if (json_is_object(v)) {
		an_h(d, 3, "%s", name);
		if (!an_kv(d, v, NULL, NULL))
			an_p(d, AN_PLAIN, "(empty)");
	} else {
		an_value_text(v, text, sizeof(text));
		an_p(d, AN_PLAIN, "%s: %s", name, text);
	}
}

static const json_t *samples_of(const json_t *mode)
{
	const json_t *s = json_object_get(mode, "samples");
	return json_is_array(s) ? s : json_object_get(mode, "timeline");
}

static void add(struct an_timeline *t, const char *name, const json_t *mode, const json_t *samples)
{
	t->s = realloc(t->s, sizeof(*t->s) * (t->n + 1));
	if (!t->s)
		abort();
	struct an_tl_series *s = &t->s[t->n++];
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->mode = mode;
	s->samples = samples;
}

/* Shapes taken: an array of modes (each with "samples" or "timeline"), an object of modes
 * or of sample arrays by name, or one array of samples (objects with t_s). */
void an_timeline_collect(const json_t *tl, struct an_timeline *t)
{
	char name[64];
	const char *k;
	size_t i;
	json_t *x;
	if (json_is_array(tl) && json_is_number(json_object_get(json_array_get(tl, 0), "t_s"))) {
		add(t, "run", NULL, tl);
		return;
	}
	json_array_foreach(tl, i, x)
	{
		snprintf(name, sizeof(name), "#%zu", i + 1);
		if (json_is_array(samples_of(x)))
			add(t, name, x, samples_of(x));
	}
	json_object_foreach((json_t *)tl, k, x)
	{
		if (json_is_array(x))
			add(t, k, NULL, x);
		else if (json_is_array(samples_of(x)))
			add(t, k, x, samples_of(x));
	}
}

static bool has_samples(const struct an_timeline *t)
{
	for (int n = 0; n < t->n; n++)
		if (json_is_number(json_object_get(json_array_get(t->s[n].samples, 0), "t_s")))
			return true;
	return false;
}

bool an_timeline_like(const json_t *v)
{
	struct an_timeline t = {0};
	an_timeline_collect(v, &t);
	bool yes = has_samples(&t);
	free(t.s);
	return yes;
}
