/* numabench analysis: timelines (the balance bench samples placement, hinting faults and
 * migrations over time, once per mode) as line charts with one line per mode. */
#include "an_chart.h"
#include "an_json.h"
#include "an_report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* How many distinct labels the modes get when the fields in skip are left out. */
static int distinct_labels(const struct an_timeline *t, const char *const *skip)
{
	struct an_names seen = {0};
	char label[AN_TEXT_MAX];
	for (int n = 0; n < t->n; n++) {
		an_cell_label(t->s[n].mode, skip, label, sizeof(label));
		an_names_add(&seen, label);
	}
	int k = seen.n;
	an_names_free(&seen);
	return k;
}

/* Name modes by the identity fields that tell them apart (variant=remote-pinned
 * balancing=1), so legends stay short: in an_ident_fields order, a field is kept only when
 * it splits modes the fields kept before it do not (placement=remote, which follows from
 * the variant, is left out). A lone mode keeps all of them. */
static void name_modes(struct an_timeline *t)
{
	const char *skip[64];
	int ns = 0, nf = 0;
	while (an_ident_fields[nf] && nf < 63)
		nf++;
	if (t->n > 1) {
		for (int i = 0; i < nf; i++)
			skip[ns++] = an_ident_fields[i];
		skip[ns] = NULL;
		int have = distinct_labels(t, skip);
		for (int i = 0; i < nf; i++) {
			/* try keeping field i: drop it from the skip list */
			const char *f = an_ident_fields[i];
			int k = 0;
			for (int j = 0; j < ns; j++)
				if (skip[j] != f)
					skip[k++] = skip[j];
			skip[k] = NULL;
			int now = distinct_labels(t, skip);
			if (now > have) {
				have = now;
				ns = k;
			} else {
				skip[k] = f;
				skip[k + 1] = NULL;
			}
		}
	} else {
		skip[0] = NULL;
	}
	for (int n = 0; n < t->n; n++) {
		char label[sizeof(t->s[n].name)];
		an_cell_label(t->s[n].mode, skip, label, sizeof(label));
		if (t->s[n].mode && *label)
			memcpy(t->s[n].name, label, sizeof(label));
	}
}

static void sample_fields_of(const json_t *sample, struct an_names *f)
{
	char sub[512];
	const char *k, *kk;
	json_t *v, *vv;
	json_object_foreach((json_t *)sample, k, v)
	{
		if (json_is_number(v) && strcmp(k, "t_s"))
			an_names_add(f, k);
		if (!json_is_object(v))
			continue;
		json_object_foreach(v, kk, vv)
		{
			snprintf(sub, sizeof(sub), "%s.%s", k, kk);
			if (json_is_number(vv))
				an_names_add(f, sub);
		}
	}
}

/* Numeric sample fields but time, over every mode; one level of nesting ("placement.0"). */
static void sample_fields(const struct an_timeline *t, struct an_names *f)
{
	size_t i;
	json_t *s;
	for (int n = 0; n < t->n; n++)
		json_array_foreach(t->s[n].samples, i, s)
		{
			sample_fields_of(s, f);
		}
}

/* Placement first, then faults and migrations: what the balance bench is about. */
static int field_rank(const char *f)
{
	static const char *const order[] = {
	    "hot_fast_share",	 "cold_fast_share", "hot",	   "cold",
	    "local_share",	 "pages_per_node",  "placement",   "hint_faults",
	    "hint_faults_local", "pages_migrated",  "pte_updates", NULL};
	for (int i = 0; order[i]; i++) {
		size_t n = strlen(order[i]);
		if (!strncmp(f, order[i], n) && (!f[n] || f[n] == '.'))
			return i;
	}
	return 100;
}

static double sample_value(const json_t *s, const char *field)
{
	const char *dot = strchr(field, '.');
	char head[256];
	if (json_object_get(s, field) || !dot)
		return an_num(json_object_get(s, field));
	snprintf(head, sizeof(head), "%.*s", (int)(dot - field), field);
	return an_num(json_object_get(json_object_get(s, head), dot + 1));
}

/* The unit of a sample field from the run's timeline_units: by name, by the name before
 * the dot (placement.3: pages per node), "counters" for cumulative counts. */
static void field_unit(const json_t *units, const char *field, char *buf, size_t len)
{
	char head[256];
	const char *u = json_string_value(json_object_get(units, field));
	snprintf(head, sizeof(head), "%.*s", (int)strcspn(field, "."), field);
	if (!u)
		u = json_string_value(json_object_get(units, head));
	if (!u && !strcmp(field, "local_share"))
		u = "fraction of pages, 0-1";
	if (!u && json_object_get(units, "counters") && strcmp(field, "throughput"))
		u = "count, cumulative";
	snprintf(buf, len, "%s%s%s%s", field, u ? " (" : "", u ? u : "", u ? ")" : "");
}

/* Whether every sample of every mode has field 0 (or none). */
static bool all_zero(const struct an_timeline *t, const char *field)
{
	size_t i;
	json_t *s;
	for (int n = 0; n < t->n; n++)
		json_array_foreach(t->s[n].samples, i, s)
		{
			double v = sample_value(s, field);
			if (!isnan(v) && v != 0)
				return false;
		}
	return true;
}

static void field_chart(struct an_doc *d, const struct an_timeline *t, const char *field,
			const json_t *units)
{
	char ylabel[512], xlabel[512];
	struct an_series *ss = calloc(t->n + 1, sizeof(*ss));
	char title[512];
	if (!ss)
		abort();
	for (int n = 0; n < t->n; n++) {
		size_t len = json_array_size(t->s[n].samples);
		double *x = malloc(sizeof(double) * (len + 1)),
		       *y = malloc(sizeof(double) * (len + 1));
		if (!x || !y)
			abort();
		for (size_t i = 0; i < len; i++) {
			const json_t *s = json_array_get(t->s[n].samples, i);
			x[i] = an_num(json_object_get(s, "t_s"));
			y[i] = sample_value(s, field);
		}
		ss[n] = (struct an_series){t->s[n].name, (int)len, x, y};
	}
	snprintf(title, sizeof(title), "%s over time, one line per mode", field);
	field_unit(units, field, ylabel, sizeof(ylabel));
	field_unit(units, "t_s", xlabel, sizeof(xlabel));
	an_lines(d, &(struct an_lines){title, xlabel, ylabel, t->n, ss, false, 0, NULL, NULL});
	for (int n = 0; n < t->n; n++) {
		free((void *)ss[n].x);
		free((void *)ss[n].y);
	}
	free(ss);
}

static void modes_table(struct an_doc *d, const struct an_timeline *t)
{
	static const char *const skip[] = {"samples", "timeline", NULL};
	json_t *modes = json_array();
	for (int n = 0; n < t->n; n++)
		if (t->s[n].mode)
			json_array_append(modes, (json_t *)t->s[n].mode);
	if (json_array_size(modes))
		an_object_table(d, modes, skip);
	json_decref(modes);
}

/* Two modes with the same label get their number after it: a legend never shows two
 * identical labels. */
static void unique_names(struct an_timeline *t)
{
	for (int a = 0; a < t->n; a++)
		for (int b = a + 1; b < t->n; b++)
			if (!strcmp(t->s[a].name, t->s[b].name)) {
				size_t n = strlen(t->s[b].name);
				snprintf(t->s[b].name + n, sizeof(t->s[b].name) - n, " #%d", b + 1);
			}
}

void an_report_timeline(struct an_doc *d, const char *name, const json_t *tl, const json_t *units)
{
	char zero[AN_TEXT_MAX];
	struct an_sb zs;
	an_sb_init(&zs, zero, sizeof(zero));
	struct an_timeline t = {0};
	struct an_names fields = {0};
	an_timeline_collect(tl, &t);
	name_modes(&t);
	unique_names(&t);
	if (strcmp(name, "timeline"))
		an_h(d, 3, "Timeline (%s)", name);
	else
		an_h(d, 3, "Timeline");
	modes_table(d, &t);
	sample_fields(&t, &fields);
	an_names_sort(&fields, field_rank);
	for (int f = 0; f < fields.n; f++)
		if (all_zero(&t, fields.v[f]))
			an_sb_add(&zs, "%s%s", zs.pos ? ", " : "", fields.v[f]);
		else
			field_chart(d, &t, fields.v[f], units);
	if (zs.pos)
		an_p(d, AN_PLAIN, "Zero throughout, in every mode (not charted): %s.", zero);
	an_names_free(&fields);
	free(t.s);
}
