/* numabench: bench parameters (typed, range-checked) and run/metric helpers. */
#include "bench.h"
#include "place.h"
#include "stats.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const struct nb_choice nb_choices_pages[] = {
    {"4k", NB_PAGES_4K, "base pages"},
    {"thp", NB_PAGES_THP, "transparent huge pages"},
    {NULL, 0, NULL},
};
const struct nb_choice nb_choices_balancing[] = {
    {"0", 0, "off"},
    {"1", 1, "NUMA balancing"},
    {"2", 2, "memory tiering"},
    {"3", 3, "NUMA balancing and memory tiering"},
    {NULL, 0, NULL},
};
const struct nb_choice nb_choices_dram[] = {
    {"dram", NB_WORD_DRAM, "the DRAM point: a working set >= 4x the last-level cache"},
    {NULL, 0, NULL},
};

static int param_index(const struct nb_bench *b, const char *name)
{
	for (int i = 0; b->params && b->params[i].name; i++)
		if (!strcmp(b->params[i].name, name))
			return i;
	return -1;
}

const struct nb_param_val *nb_param_find(const struct nb_params *p, const char *name)
{
	int i = param_index(p->bench, name);
	return i < 0 ? NULL : &p->v[i];
}

int nb_param_choice_at(const struct nb_param_def *d, int i, struct nb_choice *out)
{
	if (i < 0)
		return -1;
	if (d->from.tab) {
		if (i >= d->from.n)
			return -1;
		out->name = *(const char *const *)(const void *)((const char *)d->from.tab +
								 (size_t)i * d->from.stride);
		out->value = i;
		out->help = NULL;
		return 0;
	}
	for (int k = 0; d->choices && d->choices[k].name; k++)
		if (k == i) {
			*out = d->choices[k];
			return 0;
		}
	return -1;
}

const char *nb_param_choice_name(const struct nb_param_def *d, int value)
{
	struct nb_choice c;
	for (int i = 0; !nb_param_choice_at(d, i, &c); i++)
		if (c.value == value)
			return c.name;
	return NULL;
}

void nb_param_choices_text(const struct nb_param_def *d, char *buf, size_t len)
{
	struct nb_choice c;
	size_t o = 0;
	if (len)
		buf[0] = 0;
	for (int i = 0; !nb_param_choice_at(d, i, &c) && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? "|" : "", c.name);
}

/* The choice of d named word (wlen bytes): 0 with its value, or -1. */
static int choice_value(const struct nb_param_def *d, const char *word, size_t wlen, int *value)
{
	struct nb_choice c;
	for (int i = 0; !nb_param_choice_at(d, i, &c); i++)
		if (strlen(c.name) == wlen && !strncmp(c.name, word, wlen)) {
			*value = c.value;
			return 0;
		}
	return -1;
}

static bool is_list(enum nb_ptype t)
{
	return t == NB_P_SIZES || t == NB_P_ENUMS || t == NB_P_INTS;
}

/* The flags' rules for one number (words are the bench's to check). */
static int check_flags(const struct nb_param_def *d, uint64_t x, const char *bench,
		       const char *value, char *err, size_t len)
{
	if ((d->flags & NB_PF_POW2) && (x & (x - 1))) {
		char lo[32];
		nb_fmt_size((uint64_t)d->min, lo, sizeof(lo));
		snprintf(err, len,
			 "%s.%s=%s: %llu is not a power of two (valid: %s, %llu, %llu, ...)", bench,
			 d->name, value, (unsigned long long)x, lo, (unsigned long long)d->min * 2,
			 (unsigned long long)d->min * 4);
		return -1;
	}
	return 0;
}

static int check_range(const struct nb_param_def *d, double v, const char *bench, const char *value,
		       char *err, size_t len)
{
	if (v < d->min || (d->max > 0 && v > d->max)) {
		char lo[32], hi[32];
		if (d->type == NB_P_SIZE || d->type == NB_P_SIZES) {
			nb_fmt_size((uint64_t)d->min, lo, sizeof(lo));
			nb_fmt_size((uint64_t)d->max, hi, sizeof(hi));
		} else {
			snprintf(lo, sizeof(lo), "%g", d->min);
			snprintf(hi, sizeof(hi), "%g", d->max);
		}
		snprintf(err, len, "%s.%s=%s is out of range (valid: %s..%s %s)", bench, d->name,
			 value, lo, d->max > 0 ? hi : "", d->unit);
		return -1;
	}
	return 0;
}

static int parse_list(const struct nb_param_def *d, struct nb_param_val *v, const char *bench,
		      const char *value, char *err, size_t len)
{
	free(v->list);
	v->list = NULL;
	v->nlist = 0;
	char *dup = strdup(value), *save = NULL, words[256];
	int rc = 0;
	nb_param_choices_text(d, words, sizeof(words));
	for (char *tok = strtok_r(dup, ",", &save); tok && !rc; tok = strtok_r(NULL, ",", &save)) {
		uint64_t x = 0;
		int c;
		if (!choice_value(d, tok, strlen(tok), &c)) {
			x = d->type == NB_P_ENUMS ? (uint64_t)c : NB_PARAM_WORD(c);
		} else if (d->type == NB_P_SIZES) {
			if (nb_parse_size(tok, &x)) {
				snprintf(
				    err, len,
				    "%s.%s: \"%s\" is not a size (valid: a list like 4K,1M,1G%s%s)",
				    bench, d->name, tok, *words ? " or " : "", words);
				rc = -1;
			}
		} else if (d->type == NB_P_INTS) {
			if (nb_parse_u64(tok, &x)) {
				snprintf(err, len,
					 "%s.%s: \"%s\" is not a whole number (valid: a list like "
					 "1,2,4%s%s)",
					 bench, d->name, tok, *words ? " or " : "", words);
				rc = -1;
			}
		} else {
			snprintf(err, len, "%s.%s: unknown value \"%s\" (valid: %s)", bench,
				 d->name, tok, words);
			rc = -1;
		}
		if (!rc && d->type != NB_P_ENUMS && nb_param_word(x) < 0)
			rc = check_range(d, (double)x, bench, tok, err, len) ||
			     check_flags(d, x, bench, tok, err, len);
		if (!rc) {
			v->list = realloc(v->list, sizeof(uint64_t) * (v->nlist + 1));
			v->list[v->nlist++] = x;
		}
	}
	free(dup);
	if (!rc && v->nlist == 0) {
		snprintf(err, len, "%s.%s: empty list", bench, d->name);
		rc = -1;
	}
	return rc;
}

static int parse_value(const struct nb_param_def *d, struct nb_param_val *v, const char *bench,
		       const char *value, char *err, size_t len)
{
	char words[256];
	int c;
	switch (d->type) {
	case NB_P_INT:
		if (nb_parse_u64(value, &v->u)) {
			snprintf(err, len, "%s.%s=%s is not a whole number (valid: %g..%g)", bench,
				 d->name, value, d->min, d->max);
			return -1;
		}
		return check_range(d, (double)v->u, bench, value, err, len) ||
		       check_flags(d, v->u, bench, value, err, len);
	case NB_P_SIZE:
		if (!choice_value(d, value, strlen(value), &c)) {
			v->u = NB_PARAM_WORD(c);
			return 0;
		}
		if (nb_parse_size(value, &v->u)) {
			snprintf(err, len,
				 "%s.%s=%s is not a size (valid: bytes with K/M/G suffix)", bench,
				 d->name, value);
			return -1;
		}
		return check_range(d, (double)v->u, bench, value, err, len) ||
		       check_flags(d, v->u, bench, value, err, len);
	case NB_P_DOUBLE:
		if (nb_parse_double(value, &v->d)) {
			snprintf(err, len, "%s.%s=%s is not a number", bench, d->name, value);
			return -1;
		}
		return check_range(d, v->d, bench, value, err, len);
	case NB_P_ENUM:
		if (choice_value(d, value, strlen(value), &v->choice)) {
			nb_param_choices_text(d, words, sizeof(words));
			snprintf(err, len, "%s.%s: unknown value \"%s\" (valid: %s)", bench,
				 d->name, value, words);
			return -1;
		}
		return 0;
	case NB_P_SIZES:
	case NB_P_ENUMS:
	case NB_P_INTS:
		return parse_list(d, v, bench, value, err, len);
	}
	return -1;
}

int nb_params_set(struct nb_params *p, const char *name, const char *value, char *err,
		  size_t errlen)
{
	const struct nb_bench *b = p->bench;
	int i = param_index(b, name);
	if (i < 0) {
		char names[512] = "";
		size_t off = 0;
		for (int k = 0; b->params && b->params[k].name && off < sizeof(names) - 64; k++)
			off += snprintf(names + off, sizeof(names) - off, "%s%s", k ? ", " : "",
					b->params[k].name);
		snprintf(errlen ? err : NULL, errlen, "unknown parameter %s.%s (valid: %s)",
			 b->name, name, off ? names : "none");
		return -1;
	}
	struct nb_param_val nv = p->v[i];
	nv.list = NULL;
	nv.nlist = 0;
	if (parse_value(&b->params[i], &nv, b->name, value, err, errlen)) {
		free(nv.list);
		return -1;
	}
	free(p->v[i].list);
	free((char *)p->v[i].text);
	nv.text = strdup(value);
	p->v[i] = nv;
	return 0;
}

int nb_params_init(struct nb_params *p, const struct nb_bench *b, char *err, size_t errlen)
{
	memset(p, 0, sizeof(*p));
	p->bench = b;
	if (b->abi != NB_BENCH_ABI) {
		snprintf(err, errlen,
			 "internal: bench %s was built for descriptor version %d, not %d", b->name,
			 b->abi, NB_BENCH_ABI);
		return -1;
	}
	/* the table is indexed by the bench's enum: a hole would end it early */
	if (b->nparams && b->params[b->nparams].name) {
		snprintf(err, errlen, "internal: bench %s declares %d parameters, its table more",
			 b->name, b->nparams);
		return -1;
	}
	for (int i = 0; i < b->nparams; i++)
		if (!b->params[i].name) {
			snprintf(err, errlen, "internal: bench %s: parameter %d has no row",
				 b->name, i);
			return -1;
		}
	for (int i = 0; b->params && b->params[i].name; i++) {
		if (i >= NB_MAX_PARAMS) {
			snprintf(err, errlen, "internal: bench %s has too many parameters",
				 b->name);
			return -1;
		}
		if (b->params[i].def[0] &&
		    nb_params_set(p, b->params[i].name, b->params[i].def, err, errlen))
			return -1;
	}
	return 0;
}

int nb_params_check(const struct nb_params *p, char *err, size_t errlen)
{
	const struct nb_bench *b = p->bench;
	for (int i = 0; b->params && b->params[i].name; i++) {
		const struct nb_param_def *d = &b->params[i];
		const struct nb_param_val *v = &p->v[i];
		if (!d->le || !v->text)
			continue;
		int j = param_index(b, d->le);
		if (j < 0) {
			snprintf(err, errlen, "internal: %s.%s is bounded by %s, not a parameter",
				 b->name, d->name, d->le);
			return -1;
		}
		const struct nb_param_val *o = &p->v[j];
		if (!o->text || nb_param_word(o->u) >= 0)
			continue; /* left to the bench, or a word it computes */
		int n = is_list(d->type) ? v->nlist : 1;
		for (int k = 0; k < n; k++) {
			uint64_t x = is_list(d->type) ? v->list[k] : v->u;
			if (nb_param_word(x) < 0 && x > o->u) {
				snprintf(err, errlen,
					 "%s.%s=%s: %llu is larger than %s.%s=%s (valid: at most "
					 "%s.%s)",
					 b->name, d->name, v->text, (unsigned long long)x, b->name,
					 d->le, o->text, b->name, d->le);
				return -1;
			}
		}
	}
	return 0;
}

void nb_params_free(struct nb_params *p)
{
	for (int i = 0; i < NB_MAX_PARAMS; i++) {
		free(p->v[i].list);
		free((char *)p->v[i].text);
		p->v[i].list = NULL;
		p->v[i].text = NULL;
	}
}

json_t *nb_params_json(const struct nb_params *p)
{
	json_t *o = json_object();
	for (int i = 0; p->bench->params && p->bench->params[i].name; i++)
		if (p->v[i].text)
			json_object_set_new(o, p->bench->params[i].name, json_string(p->v[i].text));
	return o;
}

/* The name of the choice (or word) with value v of d, as a JSON string. */
static json_t *choice_json(const struct nb_param_def *d, int v)
{
	const char *n = nb_param_choice_name(d, v);
	return n ? json_string(n) : json_null();
}

static int cmp_json_num(const void *a, const void *b)
{
	double x = json_number_value(*(json_t *const *)a),
	       y = json_number_value(*(json_t *const *)b);
	return (x > y) - (x < y);
}

static int cmp_json_str(const void *a, const void *b)
{
	return strcmp(json_string_value(*(json_t *const *)a),
		      json_string_value(*(json_t *const *)b));
}

/* One parsed value as JSON: a number, a choice's name, a size word's name. */
static json_t *value_json(const struct nb_param_def *d, uint64_t u)
{
	int w = nb_param_word(u);
	return w >= 0 ? choice_json(d, w) : json_integer((json_int_t)u);
}

json_t *nb_params_canonical(const struct nb_params *p)
{
	json_t *o = json_object();
	for (int i = 0; p->bench->params && p->bench->params[i].name; i++) {
		const struct nb_param_def *d = &p->bench->params[i];
		const struct nb_param_val *v = &p->v[i];
		json_t *x = NULL;
		if (!v->text || !*v->text)
			continue; /* computed by the bench: nothing was asked for */
		switch (d->type) {
		case NB_P_INT:
		case NB_P_SIZE:
			x = value_json(d, v->u);
			break;
		case NB_P_DOUBLE:
			x = json_real(v->d);
			break;
		case NB_P_ENUM:
			x = choice_json(d, v->choice);
			break;
		case NB_P_SIZES:
		case NB_P_INTS:
		case NB_P_ENUMS: {
			bool words = d->type == NB_P_ENUMS;
			json_t **e = calloc((size_t)v->nlist + 1, sizeof(*e));
			if (!e)
				abort();
			for (int k = 0; k < v->nlist; k++) {
				e[k] = words ? choice_json(d, (int)v->list[k])
					     : value_json(d, v->list[k]);
				words |= json_is_string(e[k]);
			}
			/* a sweep is a set: its order and spelling are not part of the run */
			bool mixed = false;
			for (int k = 0; k < v->nlist; k++)
				mixed |= json_is_string(e[k]) != words;
			if (!mixed)
				qsort(e, (size_t)v->nlist, sizeof(*e),
				      words ? cmp_json_str : cmp_json_num);
			x = json_array();
			for (int k = 0; k < v->nlist; k++)
				json_array_append_new(x, e[k]);
			free(e);
			break;
		}
		}
		if (x)
			json_object_set_new(o, d->name, x);
	}
	return o;
}

json_t *nb_identity_json(const struct nb_bench *b)
{
	json_t *a = json_array();
	for (int i = 0; b->identity && b->identity[i]; i++)
		json_array_append_new(a, json_string(b->identity[i]));
	return a;
}

json_t *nb_headline_rule_json(const struct nb_headline_rule *r)
{
	return json_pack("{s:s,s:s*,s:s*,s:s*,s:s*,s:s*}", "records",
			 r->records ? r->records : "cells", "metric", r->metric, "where", r->where,
			 "prefer", r->prefer, "largest", r->largest, "text", r->text);
}

/* Whether field k of rec has the value v (text): a number compares as a number. */
static bool field_is(json_t *rec, const char *k, const char *v)
{
	json_t *x = json_object_get(rec, k);
	if (json_is_string(x))
		return !strcmp(json_string_value(x), v);
	if (json_is_boolean(x))
		return !strcmp(v, json_is_true(x) ? "true" : "false");
	double d;
	return json_is_number(x) && !nb_parse_double(v, &d) && json_number_value(x) == d;
}

bool nb_fields_match(json_t *rec, const char *tests)
{
	char buf[256], *save = NULL;
	snprintf(buf, sizeof(buf), "%s", tests ? tests : "");
	for (char *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(t, '=');
		if (!eq)
			return false;
		bool neg = eq > t && eq[-1] == '!';
		eq[neg ? -1 : 0] = 0;
		const char *v = eq + 1;
		if (neg ? !json_object_get(rec, t) || field_is(rec, t, v) : !field_is(rec, t, v))
			return false;
	}
	return true;
}

void nb_run_reason(json_t *run, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	json_object_set_new(run, "reason", json_string(buf));
}

static json_t *num(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

/* Units whose figures are timings or rates per second: emulated under TCG. */
static bool timing_unit(const char *unit)
{
	static const char *const u[] = {"ns", "us", "ms", "s", "GB/s", "MB/s", "pages/s"};
	for (size_t i = 0; i < sizeof(u) / sizeof(u[0]); i++)
		if (!strcmp(unit, u[i]))
			return true;
	size_t n = strlen(unit); /* any rate per second ("ptes/s") is a timing too */
	return n > 2 && !strcmp(unit + n - 2, "/s");
}

json_t *nb_metric(const char *unit, const char *direction, const double *samples, int n)
{
	struct nb_summary s;
	nb_summarize(samples, n, &s);
	json_t *arr = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(arr, num(samples[i]));
	json_t *m = json_pack("{s:s,s:s,s:o,s:i}", "unit", unit, "direction", direction, "samples",
			      arr, "n", n);
	json_object_set_new(m, "min", num(s.min));
	json_object_set_new(m, "max", num(s.max));
	json_object_set_new(m, "median", num(s.median));
	json_object_set_new(m, "mean", num(s.mean));
	json_object_set_new(m, "stddev", num(s.stddev));
	json_object_set_new(m, "cv", num(s.cv));
	json_object_set_new(m, "p5", num(s.p5));
	json_object_set_new(m, "p95", num(s.p95));
	json_object_set_new(m, "mad", num(s.mad));
	json_object_set_new(m, "iqr", num(s.iqr));
	json_object_set_new(m, "spread", num(s.spread));
	json_object_set_new(m, "outliers", json_integer(s.outliers));
	json_object_set_new(m, "ci95", json_pack("[o,o]", num(s.ci95_lo), num(s.ci95_hi)));
	json_object_set_new(m, "ci_level", num(s.ci_level));
	json_object_set_new(m, "ci_of", json_string("median"));
	json_t *looks = json_array();
	const struct nb_design *d = nb_design_current();
	for (int j = 0; s.sequential && j < d->nlooks; j++)
		json_array_append_new(looks, json_integer(d->looks[j]));
	if (!s.sequential)
		json_array_append_new(looks, json_integer(n));
	json_object_set_new(m, "ci_looks", looks);
	if (s.bimodal) {
		char txt[160];
		nb_bimodal_text(&s, unit, txt, sizeof(txt));
		json_object_set_new(m, "bimodal",
				    json_pack("{s:s,s:[{s:o,s:i},{s:o,s:i}]}", "summary", txt,
					      "modes", "median", num(s.mode_median[0]), "n",
					      s.mode_n[0], "median", num(s.mode_median[1]), "n",
					      s.mode_n[1]));
	}
	if (nb_timing_emulated && timing_unit(unit))
		json_object_set_new(m, "emulated", json_true());
	return m;
}

void nb_run_metric(json_t *run, const char *key, json_t *metric)
{
	json_t *ms = json_object_get(run, "metrics");
	if (!ms) {
		ms = json_object();
		json_object_set_new(run, "metrics", ms);
	}
	json_object_set_new(ms, key, metric);
}

static int progress_shown;

void nb_progress(const char *fmt, ...)
{
	if (!isatty(STDERR_FILENO))
		return;
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "\r\033[K%s", buf);
	progress_shown = 1;
}

void nb_progress_done(void)
{
	if (progress_shown)
		fprintf(stderr, "\r\033[K");
	progress_shown = 0;
}

/* A figure with the precision it deserves, never in e-notation: 3 significant digits. */
void nb_fmt_figure(double v, char *buf, size_t len)
{
	double a = fabs(v);
	if (!isfinite(v))
		snprintf(buf, len, "-");
	else if (a >= 100 || a == 0)
		snprintf(buf, len, "%.0f", v);
	else if (a >= 10)
		snprintf(buf, len, "%.1f", v);
	else if (a >= 1)
		snprintf(buf, len, "%.2f", v);
	else
		snprintf(buf, len, "%.3g", v);
}

/* "95.1 ns" or "95.1-96.3 ns" for the medians of a set of cells. */
static void fmt_range(double lo, double hi, const char *unit, char *buf, size_t len)
{
	char a[32], b[32];
	nb_fmt_figure(lo, a, sizeof(a));
	nb_fmt_figure(hi, b, sizeof(b));
	if (!strcmp(a, b))
		snprintf(buf, len, "%s %s", a, unit);
	else
		snprintf(buf, len, "%s-%s %s", a, b, unit);
}

struct side {
	int n;
	double lo, hi, v[NB_MAX_NODES * NB_MAX_NODES];
	uint64_t nodes; /* bitmask of the nodes involved (ids < 64) */
};

static void side_add(struct side *s, double v, int a, int b)
{
	if (s->n < NB_MAX_NODES * NB_MAX_NODES)
		s->v[s->n] = v;
	s->lo = s->n && s->lo < v ? s->lo : v;
	s->hi = s->n && s->hi > v ? s->hi : v;
	s->n++;
	s->nodes |= (a >= 0 && a < 64 ? 1ull << a : 0) | (b >= 0 && b < 64 ? 1ull << b : 0);
}

static double side_median(const struct side *s)
{
	struct nb_summary m;
	nb_summarize(s->v, s->n < NB_MAX_NODES * NB_MAX_NODES ? s->n : NB_MAX_NODES * NB_MAX_NODES,
		     &m);
	return m.median;
}

static void fmt_nodes(uint64_t set, char *buf, size_t len)
{
	size_t o = 0;
	int n = 0;
	buf[0] = 0;
	for (int i = 0; i < 64; i++) {
		if (!(set >> i & 1))
			continue;
		int j = i;
		while (j + 1 < 64 && (set >> (j + 1) & 1))
			j++;
		o += (size_t)snprintf(buf + o, o < len ? len - o : 0, "%s%d", o ? "," : "", i);
		if (j > i)
			o += (size_t)snprintf(buf + o, o < len ? len - o : 0, "-%d", j);
		n += j - i + 1;
		i = j;
	}
	(void)n;
}

static bool usable(json_t *c, bool ok_only)
{
	const char *st = json_string_value(json_object_get(c, "status"));
	return st && (!strcmp(st, "ok") || (!ok_only && !strcmp(st, "untrustworthy")));
}

/* The topology headlines classify node pairs by (NULL: every non-local pair is "remote"). */
static const struct nb_topo *headline_topo;

void nb_headline_topology(const struct nb_topo *t)
{
	headline_topo = t;
}

/* Non-local pairs by distance class, as the report groups them (analysis/an_pairs.h): memory
 * only (a target without cpus), other package (SLIT >= 20, Linux's REMOTE_DISTANCE), same
 * package; REMOTE without a topology or distances. */
enum hl_class { HL_LOCAL, HL_SAME, HL_OTHER, HL_MEMONLY, HL_REMOTE, HL_N };
static const char *const hl_names[HL_N] = {"local", "same package", "other package", "memory only",
					   "remote"};

static enum hl_class hl_class(int a, int b)
{
	const struct nb_topo *t = headline_topo;
	if (a == b)
		return HL_LOCAL;
	int ia = -1, ib = -1;
	for (int i = 0; t && i < t->nnodes; i++) {
		ia = t->nodes[i].id == a ? i : ia;
		ib = t->nodes[i].id == b ? i : ib;
	}
	if (ia < 0 || ib < 0)
		return HL_REMOTE;
	if (!t->nodes[ib].ncpus)
		return HL_MEMONLY;
	if (!t->have_distances || !t->distances[ia][ib])
		return HL_REMOTE;
	return t->distances[ia][ib] >= 20 ? HL_OTHER : HL_SAME;
}

static bool usable_pick(json_t *c, const char *metric, bool ok_only,
			bool (*pick)(json_t *cell, void *arg), void *arg)
{
	json_t *m = json_object_get(json_object_get(c, "metrics"), metric);
	return m && json_is_number(json_object_get(m, "median")) && usable(c, ok_only) &&
	       pick(c, arg);
}

/* Whether c has the largest maxkey among the usable cells of its own node pair: a pair run
 * with fewer threads (a node with fewer cpus) keeps its figure. */
static bool pair_top(json_t *run, json_t *c, const char *metric, const char *maxkey, bool ok_only,
		     bool (*pick)(json_t *cell, void *arg), void *arg)
{
	size_t i;
	json_t *o;
	if (!maxkey)
		return true;
	double k = json_number_value(json_object_get(c, maxkey));
	json_int_t a = json_integer_value(json_object_get(c, "cpu_node")),
		   b = json_integer_value(json_object_get(c, "mem_node"));
	json_array_foreach(json_object_get(run, "cells"), i, o)
	{
		if (json_integer_value(json_object_get(o, "cpu_node")) == a &&
		    json_integer_value(json_object_get(o, "mem_node")) == b &&
		    json_number_value(json_object_get(o, maxkey)) > k &&
		    usable_pick(o, metric, ok_only, pick, arg))
			return false;
	}
	return true;
}

static bool headline(json_t *run, const char *metric, const char *label, const char *maxkey,
		     bool (*pick)(json_t *cell, void *arg), void *arg, bool ok_only)
{
	size_t i;
	json_t *c;
	const char *unit = NULL, *dir = "lower";
	/* ok cells first: an untrustworthy figure goes into a headline only when marked. */
	json_array_foreach(json_object_get(run, "cells"), i, c)
	{
		if (usable_pick(c, metric, ok_only, pick, arg)) {
			json_t *m = json_object_get(json_object_get(c, "metrics"), metric);
			unit = json_string_value(json_object_get(m, "unit"));
			dir = json_string_value(json_object_get(m, "direction"));
		}
	}
	if (!unit)
		return false;
	struct side *g = calloc(HL_N, sizeof(*g)), *loc = g;
	if (!g)
		return false;
	json_array_foreach(json_object_get(run, "cells"), i, c)
	{
		if (!usable_pick(c, metric, ok_only, pick, arg) ||
		    !pair_top(run, c, metric, maxkey, ok_only, pick, arg))
			continue;
		json_t *m = json_object_get(json_object_get(c, "metrics"), metric);
		int a = (int)json_integer_value(json_object_get(c, "cpu_node"));
		int b = (int)json_integer_value(json_object_get(c, "mem_node"));
		side_add(&g[hl_class(a, b)], json_number_value(json_object_get(m, "median")), a, b);
	}
	char l[64], r[64], nodes[128], buf[512];
	if (!loc->n) {
		free(g);
		return false;
	}
	fmt_range(loc->lo, loc->hi, unit, l, sizeof(l));
	fmt_nodes(loc->nodes, nodes, sizeof(nodes));
	int nclass = 0;
	for (int k = HL_SAME; k < HL_N; k++)
		nclass += g[k].n > 0;
	size_t o = (size_t)snprintf(buf, sizeof(buf), "%s local %s (node%s %s)", label, l,
				    strchr(nodes, ',') || strchr(nodes, '-') ? "s" : "", nodes);
	if (!nclass)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, ", no remote pair measured");
	/* One class of non-local pairs: "remote"; more: each class by name, so same-package,
	 * cross-package and CXL figures are never averaged into one. */
	for (int k = HL_SAME; k < HL_N && o < sizeof(buf); k++) {
		if (!g[k].n)
			continue;
		double lm = side_median(loc), rm = side_median(&g[k]);
		/* The NUMA factor: how many times worse remote is (lower-is-better: r/l). */
		double f = dir && !strcmp(dir, "higher") ? lm / rm : rm / lm;
		fmt_range(g[k].lo, g[k].hi, unit, r, sizeof(r));
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, ", %s %s (%.2fx)",
				      nclass > 1 ? hl_names[k] : "remote", r, f);
	}
	if (!ok_only) {
		size_t n = strlen(buf);
		snprintf(buf + n, sizeof(buf) - n, " [includes untrustworthy cells]");
	}
	if (nb_timing_emulated) {
		size_t n = strlen(buf);
		snprintf(buf + n, sizeof(buf) - n, " [emulated timings]");
	}
	json_object_set_new(run, "headline", json_string(buf));
	free(g);
	return true;
}

void nb_run_headline(json_t *run, const char *metric, const char *label, const char *maxkey,
		     bool (*pick)(json_t *cell, void *arg), void *arg)
{
	if (!headline(run, metric, label, maxkey, pick, arg, true))
		headline(run, metric, label, maxkey, pick, arg, false);
}

/* A rule's pick: its field tests, then the preferred field's value. */
struct rule_pick {
	const struct nb_headline_rule *r;
	char field[32], value[32];
};

static bool rule_pick(json_t *cell, void *arg)
{
	const struct rule_pick *k = arg;
	return nb_fields_match(cell, k->r->where) &&
	       (!k->field[0] || field_is(cell, k->field, k->value));
}

void nb_run_headline_rule(json_t *run, const struct nb_headline_rule *r)
{
	struct rule_pick k = {.r = r};
	char label[128];
	const char *eq = r->prefer ? strchr(r->prefer, '=') : NULL;
	if (eq) {
		/* the preferred value if a cell the rule reads has it, else the largest measured */
		snprintf(k.field, sizeof(k.field), "%.*s", (int)(eq - r->prefer), r->prefer);
		size_t i;
		json_t *c;
		bool have = false, any = false;
		double max = 0;
		json_array_foreach(json_object_get(run, "cells"), i, c)
		{
			json_t *x = json_object_get(c, k.field);
			if (!nb_fields_match(c, r->where) || !x)
				continue;
			have |= field_is(c, k.field, eq + 1);
			if (json_is_number(x) && (!any || json_number_value(x) > max))
				max = json_number_value(x);
			any |= json_is_number(x);
		}
		if (have)
			snprintf(k.value, sizeof(k.value), "%s", eq + 1);
		else if (any)
			nb_fmt_figure(max, k.value, sizeof(k.value));
		else
			k.field[0] = 0;
	}
	if (k.field[0])
		snprintf(label, sizeof(label), "%s, %s %s:", r->text, k.field, k.value);
	else
		snprintf(label, sizeof(label), "%s:", r->text);
	nb_run_headline(run, r->metric, label, r->largest, rule_pick, &k);
}
