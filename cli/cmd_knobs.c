/* numabench `knobs` and `restore`: the tunables table with current values, and putting back
 * what a killed run left changed. */
#include "cli.h"
#include "tunables.h"

#include <stdlib.h>
#include <string.h>

static json_t *knob_json(const struct nb_tunable *t)
{
	char v[64];
	const char *path = nb_tunable_path(t);
	int ok = nb_tunable_get(t, v, sizeof(v)) == 0;
	json_t *k = json_pack("{s:s,s:s,s:s?,s:s,s:s,s:s,s:s,s:o,s:b}", "name", t->name, "path",
			      path ? path : t->path, "oldpath", t->oldpath, "type", t->type, "unit",
			      t->unit, "needs", t->needs, "help", t->help, "value",
			      ok ? json_string(v) : json_null(), "present", path != NULL);
	if (t->choices) {
		json_t *a = json_array();
		for (const char *s = t->choices; s && *s;) {
			const char *bar = strchr(s, '|');
			json_array_append_new(a,
					      json_stringn(s, bar ? (size_t)(bar - s) : strlen(s)));
			s = bar ? bar + 1 : NULL;
		}
		json_object_set_new(k, "choices", a);
	} else {
		json_object_set_new(k, "range",
				    json_pack("[I,I]", (json_int_t)t->min, (json_int_t)t->max));
	}
	return k;
}

enum { COLS = 5 };

/* The text table: every column as wide as its widest cell, the last (path) unpadded. */
static void print_table(json_t *arr)
{
	static const char *const head[COLS] = {"knob", "value", "valid", "needs", "path"};
	size_t n = json_array_size(arr), i;
	char(*cell)[COLS][160] = calloc(n ? n : 1, sizeof(*cell));
	int w[COLS];
	json_t *k;
	if (!cell)
		abort();
	for (int c = 0; c < COLS; c++)
		w[c] = (int)strlen(head[c]);
	json_array_foreach(arr, i, k)
	{
		json_t *r = json_object_get(k, "range");
		const char *v = json_string_value(json_object_get(k, "value"));
		snprintf(cell[i][0], sizeof(cell[i][0]), "%s",
			 json_string_value(json_object_get(k, "name")));
		snprintf(cell[i][1], sizeof(cell[i][1]), "%s", v ? v : "(absent)");
		if (r) {
			snprintf(cell[i][2], sizeof(cell[i][2]), "%lld..%lld %s",
				 (long long)json_integer_value(json_array_get(r, 0)),
				 (long long)json_integer_value(json_array_get(r, 1)),
				 json_string_value(json_object_get(k, "unit")));
		} else {
			size_t c;
			json_t *ch;
			json_array_foreach(json_object_get(k, "choices"), c, ch)
			{
				size_t used = strlen(cell[i][2]);
				snprintf(cell[i][2] + used, sizeof(cell[i][2]) - used, "%s%s",
					 c ? "|" : "", json_string_value(ch));
			}
		}
		snprintf(cell[i][3], sizeof(cell[i][3]), "%s",
			 json_string_value(json_object_get(k, "needs")));
		snprintf(cell[i][4], sizeof(cell[i][4]), "%s",
			 json_string_value(json_object_get(k, "path")));
		for (int c = 0; c < COLS; c++)
			if ((int)strlen(cell[i][c]) > w[c])
				w[c] = (int)strlen(cell[i][c]);
	}
	printf("%-*s  %-*s  %-*s  %-*s  %s\n", w[0], head[0], w[1], head[1], w[2], head[2], w[3],
	       head[3], head[4]);
	for (i = 0; i < n; i++)
		printf("%-*s  %-*s  %-*s  %-*s  %s\n", w[0], cell[i][0], w[1], cell[i][1], w[2],
		       cell[i][2], w[3], cell[i][3], cell[i][4]);
	free(cell);
}

int nb_cmd_knobs(int argc, char **argv)
{
	int json = nb_cli_want_json(argc, argv, "knobs");
	if (json < 0)
		return NB_EXIT_USAGE;
	json_t *arr = json_array();
	for (const struct nb_tunable *t = nb_tunables; t->name; t++)
		json_array_append_new(arr, knob_json(t));
	if (json) {
		nb_cli_print_json(json_pack("{s:o}", "tunables", arr), "knobs");
		return 0;
	}
	print_table(arr);
	json_decref(arr);
	return 0;
}

int nb_cmd_restore(int argc, char **argv)
{
	(void)argv;
	if (argc > 1) {
		nb_err("restore: takes no arguments (see numabench help restore)");
		return NB_EXIT_USAGE;
	}
	int n = nb_tunables_restore(true);
	if (n < 0) {
		nb_err("some tunables could not be restored (journal %s kept); run `numabench "
		       "restore` as root",
		       nb_journal_path());
		return NB_EXIT_ENV;
	}
	printf("journal %s: nothing left to restore\n", nb_journal_path());
	return 0;
}
