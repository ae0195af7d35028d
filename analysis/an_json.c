/* numabench analysis: reading result documents for people. */
#include "an_json.h"
#include "results.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void an_sb_init(struct an_sb *s, char *buf, size_t len)
{
	*s = (struct an_sb){buf, len, 0, false};
	buf[0] = 0;
}

static void sb_vadd(struct an_sb *s, const char *fmt, va_list ap)
{
	if (s->cut)
		return;
	int n = vsnprintf(s->buf + s->pos, s->len - s->pos, fmt, ap);
	if (n >= 0 && (size_t)n < s->len - s->pos) {
		s->pos += n;
		return;
	}
	s->cut = true;
	s->pos = s->len - 1;
	if (s->len > 4)
		memcpy(s->buf + s->len - 4, "...", 4);
}

void an_sb_add(struct an_sb *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sb_vadd(s, fmt, ap);
	va_end(ap);
}

void an_fmt(char *buf, size_t len, const char *fmt, ...)
{
	struct an_sb s;
	va_list ap;
	an_sb_init(&s, buf, len);
	va_start(ap, fmt);
	sb_vadd(&s, fmt, ap);
	va_end(ap);
}

double an_num(const json_t *v)
{
	return json_is_number(v) ? json_number_value(v) : NAN;
}

long long an_ll(const json_t *v, long long dflt)
{
	if (json_is_integer(v))
		return (long long)json_integer_value(v);
	double x = an_num(v);
	return x > -9.2e18 && x < 9.2e18 ? (long long)x : dflt;
}

void an_fmt_num(double v, char *buf, size_t len)
{
	double a = fabs(v);
	if (isnan(v))
		snprintf(buf, len, "-");
	else if (isinf(v))
		snprintf(buf, len, "%sinf", v < 0 ? "-" : "");
	else if (a < 1e15 && v == floor(v))
		snprintf(buf, len, "%.0f", v);
	else if (a >= 1e9 || a < 1e-4)
		snprintf(buf, len, "%.3e", v);
	else {
		int dec = 3 - (int)floor(log10(a));
		snprintf(buf, len, "%.*f", dec < 0 ? 0 : dec, v);
	}
}

bool an_is_scalar(const json_t *v)
{
	return !json_is_object(v) && !json_is_array(v);
}

static void scalar_text(struct an_sb *s, const json_t *v)
{
	char num[64];
	if (json_is_string(v))
		an_sb_add(s, "%s", json_string_value(v));
	else if (json_is_boolean(v))
		an_sb_add(s, "%s", json_is_true(v) ? "yes" : "no");
	else if (json_is_number(v)) {
		an_fmt_num(an_num(v), num, sizeof(num));
		an_sb_add(s, "%s", num);
	} else
		an_sb_add(s, "-");
}

static void value_text(struct an_sb *s, const json_t *v);

/* A summary object (it has a median) shows as its median and unit. */
static void object_text(struct an_sb *s, const json_t *v)
{
	const char *k, *sep = "";
	json_t *x;
	if (json_is_number(json_object_get(v, "median"))) {
		scalar_text(s, json_object_get(v, "median"));
		const char *unit = json_string_value(json_object_get(v, "unit"));
		if (unit && *unit)
			an_sb_add(s, " %s", unit);
		return;
	}
	json_object_foreach((json_t *)v, k, x)
	{
		an_sb_add(s, "%s%s=", sep, k);
		value_text(s, x);
		sep = " ";
	}
}

static void value_text(struct an_sb *s, const json_t *v)
{
	size_t i;
	json_t *x;
	if (json_is_object(v))
		object_text(s, v);
	else if (json_is_object(json_array_get(v, 0)))
		an_sb_add(s, "(%zu objects)", json_array_size(v));
	else if (json_is_array(v)) {
		json_array_foreach(v, i, x)
		{
			an_sb_add(s, "%s", !i ? "" : json_is_string(x) ? " " : ",");
			bool nested = json_is_array(x);
			an_sb_add(s, "%s", nested ? "[" : "");
			value_text(s, x);
			an_sb_add(s, "%s", nested ? "]" : "");
		}
	} else
		scalar_text(s, v);
}

void an_value_text(const json_t *v, char *buf, size_t len)
{
	struct an_sb s;
	an_sb_init(&s, buf, len);
	value_text(&s, v);
	if (!s.pos && !s.cut)
		an_sb_add(&s, "-");
}

/* Identity fields in the order labels show them. */
const char *const an_ident_fields[] = {
    "variant",	"scenario", "mode",	   "placement",	  "bound",    "kernel",		 "mix",
    "method",	"size",	    "pages",	   "threads",	  "pattern",  "shared",		 "path",
    "op",	"kind",	    "pair",	   "balancing",	  "force",    "ptrace_attached", "control",
    "cpu_node", "mem_node", "reader_node", "target_node", "src_node", "dst_node",	 "node",
    NULL};

int an_ident_rank(const char *key)
{
	for (int i = 0; an_ident_fields[i]; i++)
		if (!strcmp(an_ident_fields[i], key))
			return i;
	return -1;
}

static bool in_list(const char *const *list, const char *s)
{
	for (int i = 0; list && list[i]; i++)
		if (!strcmp(list[i], s))
			return true;
	return false;
}

void an_cell_label(const json_t *cell, const char *const *skip, char *buf, size_t len)
{
	struct an_sb s;
	char v[AN_TEXT_MAX];
	an_sb_init(&s, buf, len);
	for (int i = 0; an_ident_fields[i]; i++) {
		const json_t *x = json_object_get(cell, an_ident_fields[i]);
		/* a strided cell (latency) of numabench.result/2 has its size as size_bytes only;
		 * /1 also wrote the text "size" */
		if (!x && !strcmp(an_ident_fields[i], "size") && json_object_get(cell, "stride"))
			x = json_object_get(cell, "size_bytes");
		if (!x || !an_is_scalar(x) || in_list(skip, an_ident_fields[i]))
			continue;
		if (!strcmp(an_ident_fields[i], "size") && json_is_integer(x))
			nb_fmt_size((uint64_t)json_integer_value(x), v, sizeof(v));
		else
			an_value_text(x, v, sizeof(v));
		an_sb_add(&s, "%s%s=%s", s.pos ? " " : "", an_ident_fields[i], v);
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted by name, so a hand-edited file aligns with a written one in compare. */
void an_params_text(const json_t *params, char *buf, size_t len)
{
	size_t n = json_object_size(params), i = 0;
	const char **keys = calloc(n + 1, sizeof(*keys)), *k;
	char v[AN_TEXT_MAX];
	json_t *x;
	struct an_sb s;
	if (!keys)
		abort();
	json_object_foreach((json_t *)params, k, x)
	{
		keys[i++] = k;
	}
	qsort(keys, n, sizeof(*keys), cmp_str);
	an_sb_init(&s, buf, len);
	for (i = 0; i < n; i++) {
		an_value_text(json_object_get(params, keys[i]), v, sizeof(v));
		an_sb_add(&s, "%s%s=%s", i ? " " : "", keys[i], v);
	}
	if (!n)
		an_sb_add(&s, "-");
	free(keys);
}

int an_metric_samples(const json_t *m, double **out)
{
	const json_t *arr = json_object_get(m, "samples");
	size_t i;
	json_t *x;
	int n = 0;
	*out = malloc(sizeof(double) * (json_array_size(arr) + 1));
	if (!*out)
		abort();
	json_array_foreach(arr, i, x)
	{
		if (json_is_number(x))
			(*out)[n++] = json_number_value(x);
	}
	return n;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double an_metric_median(const json_t *m)
{
	double med = an_num(json_object_get(m, "median")), *v;
	if (!isnan(med))
		return med;
	int n = an_metric_samples(m, &v);
	if (n > 0) {
		qsort(v, n, sizeof(*v), cmp_double);
		med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	}
	free(v);
	return med;
}

int an_metric_dir(const json_t *m)
{
	const char *d = json_string_value(json_object_get(m, "direction"));
	if (d && !strcmp(d, "lower"))
		return -1;
	if (d && !strcmp(d, "higher"))
		return 1;
	return 0;
}

const char *an_dir_text(int dir)
{
	return dir < 0 ? "lower" : dir > 0 ? "higher" : "-";
}

/* Validation: each check names the field path and what was expected. */
struct check {
	char *err;
	size_t len;
};

static int bad(struct check *c, const char *where, const char *what)
{
	snprintf(c->err, c->len, "%s: %s", where, what);
	return -1;
}

static int want_type(struct check *c, const json_t *v, json_type t, const char *where)
{
	if (!v || json_typeof(v) == t)
		return 0;
	return bad(c, where,
		   t == JSON_OBJECT  ? "an object expected"
		   : t == JSON_ARRAY ? "an array expected"
				     : "a string expected");
}

static int check_metric(struct check *c, const json_t *m, const char *where)
{
	char w[512];
	if (!json_is_object(m))
		return bad(c, where, "an object expected");
	an_fmt(w, sizeof(w), "%s.unit", where);
	if (want_type(c, json_object_get(m, "unit"), JSON_STRING, w))
		return -1;
	an_fmt(w, sizeof(w), "%s.samples", where);
	if (want_type(c, json_object_get(m, "samples"), JSON_ARRAY, w))
		return -1;
	const json_t *d = json_object_get(m, "direction");
	an_fmt(w, sizeof(w), "%s.direction", where);
	if (d && !an_metric_dir(m))
		return bad(c, w, "\"lower\" or \"higher\" expected");
	return 0;
}

static int check_metrics(struct check *c, const json_t *ms, const char *where)
{
	char w[512];
	const char *k;
	json_t *m;
	an_fmt(w, sizeof(w), "%s.metrics", where);
	if (want_type(c, ms, JSON_OBJECT, w))
		return -1;
	json_object_foreach((json_t *)ms, k, m)
	{
		an_fmt(w, sizeof(w), "%s.metrics.%s", where, k);
		if (check_metric(c, m, w))
			return -1;
	}
	return 0;
}

static int check_cells(struct check *c, const json_t *cells, const char *where)
{
	char w[512];
	size_t i;
	json_t *cell;
	an_fmt(w, sizeof(w), "%s.cells", where);
	if (want_type(c, cells, JSON_ARRAY, w))
		return -1;
	json_array_foreach(cells, i, cell)
	{
		an_fmt(w, sizeof(w), "%s.cells[%zu]", where, i);
		if (!json_is_object(cell))
			return bad(c, w, "an object expected");
		if (check_metrics(c, json_object_get(cell, "metrics"), w))
			return -1;
	}
	return 0;
}

static int check_run(struct check *c, const json_t *run, size_t i)
{
	char w[64], f[96];
	an_fmt(w, sizeof(w), "runs[%zu]", i);
	if (!json_is_object(run))
		return bad(c, w, "an object expected");
	an_fmt(f, sizeof(f), "%s.bench", w);
	if (!json_is_string(json_object_get(run, "bench")))
		return bad(c, f, "a string expected");
	an_fmt(f, sizeof(f), "%s.params", w);
	if (want_type(c, json_object_get(run, "params"), JSON_OBJECT, f))
		return -1;
	an_fmt(f, sizeof(f), "%s.status", w);
	if (want_type(c, json_object_get(run, "status"), JSON_STRING, f))
		return -1;
	if (check_metrics(c, json_object_get(run, "metrics"), w))
		return -1;
	return check_cells(c, json_object_get(run, "cells"), w);
}

int an_check_result(const json_t *doc, char *err, size_t len)
{
	struct check c = {err, len};
	static const char *const objects[] = {"host",	  "tool",     "capabilities",
					      "topology", "tunables", NULL};
	size_t i;
	json_t *run;
	if (!json_is_object(doc))
		return bad(&c, "document", "an object expected");
	for (int k = 0; objects[k]; k++)
		if (want_type(&c, json_object_get(doc, objects[k]), JSON_OBJECT, objects[k]))
			return -1;
	const json_t *topo = json_object_get(doc, "topology");
	if (want_type(&c, json_object_get(topo, "nodes"), JSON_ARRAY, "topology.nodes") ||
	    want_type(&c, json_object_get(topo, "distances"), JSON_ARRAY, "topology.distances"))
		return -1;
	const json_t *runs = json_object_get(doc, "runs");
	if (!json_is_array(runs))
		return bad(&c, "runs", "an array expected");
	json_array_foreach(runs, i, run)
	{
		if (check_run(&c, run, i))
			return -1;
	}
	return 0;
}

json_t *an_load(const char *path)
{
	char err[1024], msg[1024];
	json_t *doc = nb_result_read(path, err, sizeof(err));
	if (!doc) {
		nb_err("%s", err);
		return NULL;
	}
	if (an_check_result(doc, msg, sizeof(msg))) {
		nb_err("%s: not a valid numabench result: %s", path, msg);
		json_decref(doc);
		return NULL;
	}
	return doc;
}

const char *an_basename(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}
