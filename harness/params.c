/* numabench: bench parameters (typed, range-checked): choices, parsing, the checks, their
 * JSON (as typed and canonical), and a bench's identity fields. Metrics are in metric.c, the
 * progress line in progress.c, figures and headlines in headline.c. */
#include "bench.h"
#include "place.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
