/* numabench `list`: benches (parameters, whether they run here or why not) and suites; a suite
 * that cannot be read or parsed is listed invalid with its reason. */
#include "cli.h"
#include "results.h"
#include "runner.h"

#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

static const char *ptype_name(enum nb_ptype t)
{
	static const char *const n[] = {
	    [NB_P_INT] = "int",	  [NB_P_SIZE] = "size",	  [NB_P_SIZES] = "sizes",
	    [NB_P_ENUM] = "enum", [NB_P_ENUMS] = "enums", [NB_P_DOUBLE] = "double",
	    [NB_P_INTS] = "ints"};
	return n[t];
}

/* The choices (or words) of d by name, in declared order. */
static json_t *choices_json(const struct nb_param_def *d)
{
	json_t *a = json_array();
	struct nb_choice c;
	for (int i = 0; !nb_param_choice_at(d, i, &c); i++)
		json_array_append_new(a, json_string(c.name));
	return a;
}

/* A number of the parameter table as JSON: an integer when it is one. */
static json_t *num_json(double v)
{
	if (v == (double)(json_int_t)v)
		return json_integer((json_int_t)v);
	return json_real(v);
}

static json_t *param_json(const struct nb_param_def *d)
{
	json_t *pj =
	    json_pack("{s:s,s:s,s:s,s:s,s:s}", "name", d->name, "type", ptype_name(d->type), "unit",
		      d->unit, "default", d->def, "help", d->help);
	if (d->choices || d->from.tab)
		json_object_set_new(pj, "choices", choices_json(d));
	/* what each declared choice means, where the table says */
	json_t *ch = json_object();
	struct nb_choice c;
	for (int i = 0; !nb_param_choice_at(d, i, &c); i++)
		if (c.help)
			json_object_set_new(ch, c.name, json_string(c.help));
	if (json_object_size(ch))
		json_object_set_new(pj, "choice_help", ch);
	else
		json_decref(ch);
	if (d->flags & NB_PF_POW2)
		json_object_set_new(pj, "power_of_two", json_true());
	if (d->le)
		json_object_set_new(pj, "at_most", json_string(d->le));
	if (d->type != NB_P_ENUM && d->type != NB_P_ENUMS) {
		/* max 0 means no maximum */
		json_object_set_new(
		    pj, "range",
		    json_pack("[o,o]", num_json(d->min), d->max ? num_json(d->max) : json_null()));
	}
	return pj;
}

static json_t *benches_json(const struct nb_ctx *ctx)
{
	json_t *benches = json_array();
	for (int i = 0; nb_benches[i]; i++) {
		const struct nb_bench *b = nb_benches[i];
		const char *why = nb_bench_why(ctx, b);
		json_t *params = json_array();
		for (int k = 0; b->params && b->params[k].name; k++)
			json_array_append_new(params, param_json(&b->params[k]));
		json_array_append_new(benches,
				      json_pack("{s:s,s:s,s:b,s:s?,s:o}", "name", b->name,
						"summary", b->summary, "supported", why == NULL,
						"reason", why, "params", params));
	}
	return benches;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(json_string_value(json_object_get(*(json_t *const *)a, "name")),
		      json_string_value(json_object_get(*(json_t *const *)b, "name")));
}

/* One suite: read with the bounded reader (a FIFO or a device is refused, never waited on). */
static json_t *suite_json(const char *dir, const char *file)
{
	char path[PATH_MAX], err[PATH_MAX + 256];
	size_t n = strlen(file);
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	json_t *doc = nb_json_load(path, NB_CONFIG_MAX_BYTES, err, sizeof(err));
	json_t *s = json_pack("{s:s%,s:s}", "name", file, n - 5, "path", path);
	const char *desc = json_string_value(json_object_get(doc, "description"));
	json_object_set_new(s, "description", json_string(desc ? desc : ""));
	if (!doc)
		json_object_set_new(s, "reason", json_string(err));
	else if (!json_is_array(json_object_get(doc, "benches")))
		json_object_set_new(s, "reason",
				    json_string("\"benches\" must be an array of "
						"{\"bench\":NAME,\"params\":{}}"));
	json_object_set_new(s, "valid", json_boolean(!json_object_get(s, "reason")));
	json_decref(doc);
	return s;
}

static json_t *suites_json(void)
{
	json_t *arr = json_array();
	const char *dir = nb_configs_dir();
	DIR *d = opendir(dir);
	struct dirent *e;
	json_t *items[256];
	size_t n = 0;
	while (d && (e = readdir(d)) && n < sizeof(items) / sizeof(items[0])) {
		size_t len = strlen(e->d_name);
		if (len > 5 && e->d_name[0] != '.' && !strcmp(e->d_name + len - 5, ".json"))
			items[n++] = suite_json(dir, e->d_name);
	}
	if (d)
		closedir(d);
	qsort(items, n, sizeof(items[0]), cmp_name);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, items[i]);
	return arr;
}

static void print_text(json_t *out)
{
	size_t i, k;
	json_t *b, *p;
	int w = 0;
	json_array_foreach(json_object_get(out, "benches"), i, b)
	{
		int n = (int)strlen(json_string_value(json_object_get(b, "name")));
		w = n > w ? n : w;
	}
	json_array_foreach(json_object_get(out, "suites"), i, b)
	{
		int n = (int)strlen(json_string_value(json_object_get(b, "name")));
		w = n > w ? n : w;
	}
	printf("benches:\n");
	json_array_foreach(json_object_get(out, "benches"), i, b)
	{
		const char *name = json_string_value(json_object_get(b, "name"));
		const char *r = json_string_value(json_object_get(b, "reason"));
		printf("  %-*s  %s%s%s%s\n", w, name,
		       json_string_value(json_object_get(b, "summary")), r ? " [skips here: " : "",
		       r ? r : "", r ? "]" : "");
		json_array_foreach(json_object_get(b, "params"), k, p)
		{
			const char *def = json_string_value(json_object_get(p, "default"));
			char choices[256] = "";
			size_t c;
			json_t *ch;
			json_array_foreach(json_object_get(p, "choices"), c, ch)
			{
				size_t used = strlen(choices);
				snprintf(choices + used, sizeof(choices) - used, "%s%s",
					 c ? "|" : " ", json_string_value(ch));
			}
			printf("      %s.%s (%s%s, default %s): %s\n", name,
			       json_string_value(json_object_get(p, "name")),
			       json_string_value(json_object_get(p, "type")), choices,
			       def[0] ? def : "auto",
			       json_string_value(json_object_get(p, "help")));
		}
	}
	printf("suites:\n");
	json_array_foreach(json_object_get(out, "suites"), i, b)
	{
		const char *r = json_string_value(json_object_get(b, "reason"));
		const char *desc = json_string_value(json_object_get(b, "description"));
		printf("  %-*s  %s%s%s%s\n", w, json_string_value(json_object_get(b, "name")), desc,
		       r ? (desc[0] ? " [invalid: " : "[invalid: ") : "", r ? r : "", r ? "]" : "");
	}
}

int nb_cmd_list(int argc, char **argv)
{
	int json = nb_cli_want_json(argc, argv, "list");
	struct nb_topo t;
	struct nb_caps c;
	struct nb_ctx ctx;
	if (json < 0)
		return NB_EXIT_USAGE;
	int lrc = nb_topo_load(&t);
	if (lrc)
		return nb_topo_exit_code(lrc);
	nb_caps_probe(&c, &t);
	memset(&ctx, 0, sizeof(ctx));
	ctx.topo = &t;
	ctx.caps = &c;
	int rc = NB_EXIT_ENV;
	if (nb_ctx_setup(&ctx, NULL, NULL) == 0) {
		json_t *out =
		    json_pack("{s:o,s:o}", "benches", benches_json(&ctx), "suites", suites_json());
		if (json) {
			nb_cli_print_json(out, "list");
		} else {
			print_text(out);
			json_decref(out);
		}
		rc = 0;
	}
	nb_ctx_free(&ctx);
	nb_caps_free(&c);
	nb_topo_free(&t);
	return rc;
}
