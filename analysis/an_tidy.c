/* numabench analysis: tidy rows for scripts and dashboards, one per metric, as CSV (a header
 * line, RFC 4180 quoting) or JSON ({"schema": ..., "columns": [...], "rows": [...]}). */
#include "an_tidy.h"

#include <string.h>

static void csv_field(FILE *f, const json_t *v)
{
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		if (!strpbrk(s, ",\"\n\r")) {
			fputs(s, f);
			return;
		}
		fputc('"', f);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', f);
			fputc(*s, f);
		}
		fputc('"', f);
	} else if (json_is_integer(v)) {
		fprintf(f, "%lld", (long long)json_integer_value(v));
	} else if (json_is_real(v)) {
		fprintf(f, "%.10g", json_real_value(v));
	} else if (json_is_boolean(v)) {
		fputs(json_is_true(v) ? "true" : "false", f);
	}
}

void an_tidy_emit(struct an_doc *d, const char *schema, const char *const *cols, json_t *rows)
{
	size_t i;
	json_t *r;
	if (d->fmt == AN_JSON) { /* one row a line: diffs and grep stay readable */
		fprintf(d->f, "{\"schema\": \"%s\",\n \"columns\": [", schema);
		for (int k = 0; cols[k]; k++)
			fprintf(d->f, "%s\"%s\"", k ? ", " : "", cols[k]);
		fputs("],\n \"rows\": [", d->f);
		json_array_foreach(rows, i, r)
		{
			fputs(i ? ",\n  " : "\n  ", d->f);
			json_dumpf(r, d->f,
				   JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
		}
		fputs("\n ]}\n", d->f);
		return;
	}
	for (int k = 0; cols[k]; k++)
		fprintf(d->f, "%s%s", k ? "," : "", cols[k]);
	fputc('\n', d->f);
	json_array_foreach(rows, i, r)
	{
		for (int k = 0; cols[k]; k++) {
			if (k)
				fputc(',', d->f);
			csv_field(d->f, json_object_get(r, cols[k]));
		}
		fputc('\n', d->f);
	}
}

json_t *an_tidy_num(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}
