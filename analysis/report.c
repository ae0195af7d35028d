/* numabench analysis: `numabench report RESULT.json`, the account of one run. */
#include "analysis.h"
#include "an_chart.h"
#include "an_json.h"
#include "an_report.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool in_list(const char *const *list, const char *s)
{
	for (int i = 0; list && list[i]; i++)
		if (!strcmp(list[i], s))
			return true;
	return false;
}

static void kv_section(struct an_doc *d, const char *title, const json_t *obj,
		       const char *const *first)
{
	an_h(d, 2, "%s", title);
	if (!an_kv(d, obj, first, NULL))
		an_p(d, AN_PLAIN, "(none recorded)");
}

/* "0-3,8,10-11" from an array of cpu ids in increasing order. */
static void cpu_ranges(const json_t *cpus, char *buf, size_t len)
{
	struct an_sb s;
	size_t n = json_array_size(cpus);
	an_sb_init(&s, buf, len);
	for (size_t i = 0; i < n;) {
		json_int_t a = json_integer_value(json_array_get(cpus, i)), b = a;
		size_t j = i + 1;
		while (j < n && json_integer_value(json_array_get(cpus, j)) == b + 1)
			b++, j++;
		an_sb_add(&s, b > a ? "%s%lld-%lld" : "%s%lld", i ? "," : "", (long long)a,
			  (long long)b);
		i = j;
	}
	if (!n)
		an_sb_add(&s, "none (memory only)");
}

static void node_table(struct an_doc *d, const json_t *nodes)
{
	struct an_table *t = an_table_new();
	char cpus[AN_TEXT_MAX], id[64];
	size_t i;
	json_t *n;
	an_table_col(t, "node");
	an_table_col(t, "cpus");
	an_table_col(t, "memory GiB");
	json_array_foreach(nodes, i, n)
	{
		an_value_text(json_object_get(n, "id"), id, sizeof(id));
		cpu_ranges(json_object_get(n, "cpus"), cpus, sizeof(cpus));
		an_table_row(t);
		an_table_cell(t, AN_PLAIN, "%s", id);
		an_table_cell(t, AN_PLAIN, "%s", cpus);
		an_table_cell(t, AN_PLAIN, "%.2f",
			      an_num(json_object_get(n, "memory_bytes")) / (1 << 30));
	}
	an_table_emit(d, t);
}

/* Row i is from node i, in node-id order (the contract); labels are the node ids. */
static void distance_map(struct an_doc *d, const json_t *nodes, const json_t *dist)
{
	int n = (int)json_array_size(dist);
	char **lab = calloc(n + 1, sizeof(char *));
	double *v = calloc((size_t)n * n + 1, sizeof(double));
	if (!lab || !v)
		abort();
	for (int i = 0; i < n; i++) {
		const json_t *id = json_object_get(json_array_get(nodes, i), "id");
		if (asprintf(&lab[i], "%lld",
			     id ? (long long)json_integer_value(id) : (long long)i) < 0)
			abort();
		for (int j = 0; j < n; j++)
			v[i * n + j] = an_num(json_array_get(json_array_get(dist, i), j));
	}
	struct an_heatmap h = {"Node distances (relative; 10 = local)",
			       "from",
			       "to",
			       n,
			       n,
			       (const char *const *)lab,
			       (const char *const *)lab,
			       v,
			       NULL,
			       NULL,
			       NULL,
			       NULL};
	an_heatmap(d, &h);
	for (int i = 0; i < n; i++)
		free(lab[i]);
	free(lab);
	free(v);
}

static void section_topology(struct an_doc *d, const json_t *topo)
{
	static const char *const skip[] = {"nodes", "distances", NULL};
	const json_t *nodes = json_object_get(topo, "nodes");
	const json_t *dist = json_object_get(topo, "distances");
	an_h(d, 2, "Topology");
	if (!json_object_size(topo)) {
		an_p(d, AN_PLAIN, "(none recorded)");
		return;
	}
	if (json_array_size(nodes))
		node_table(d, nodes);
	if (json_array_size(dist))
		distance_map(d, nodes, dist);
	else
		an_p(d, AN_PLAIN, "No distance matrix recorded.");
	an_kv(d, topo, NULL, skip);
}

/* Phases (before, during, after, then any other) and the tunable names they hold. */
static void tunable_names(const json_t *tun, struct an_names *phases, struct an_names *names)
{
	static const char *const order[] = {"before", "during", "after", NULL};
	const char *k, *tk;
	json_t *x, *v;
	for (int i = 0; order[i]; i++)
		if (json_object_get(tun, order[i]))
			an_names_add(phases, order[i]);
	json_object_foreach((json_t *)tun, k, x)
	{
		an_names_add(phases, k);
		json_object_foreach(x, tk, v)
		{
			an_names_add(names, tk);
		}
	}
}

/* A value after the run that differs from before it was not put back: say so. */
static void tunable_row(struct an_table *t, const json_t *tun, const struct an_names *phases,
			const char *name)
{
	char text[AN_TEXT_MAX], before[AN_TEXT_MAX];
	const json_t *b = json_object_get(json_object_get(tun, "before"), name);
	an_value_text(b, before, sizeof(before));
	an_table_row(t);
	an_table_cell(t, AN_PLAIN, "%s", name);
	for (int p = 0; p < phases->n; p++) {
		an_value_text(json_object_get(json_object_get(tun, phases->v[p]), name), text,
			      sizeof(text));
		bool lost = b && !strcmp(phases->v[p], "after") && strcmp(text, before);
		an_table_cell(t, lost ? AN_WARN : AN_PLAIN, "%s%s", text,
			      lost ? " (not restored)" : "");
	}
}

static void section_tunables(struct an_doc *d, const json_t *tun)
{
	struct an_names phases = {0}, names = {0};
	struct an_table *t = an_table_new();
	an_h(d, 2, "Tunables");
	tunable_names(tun, &phases, &names);
	an_table_col(t, "tunable");
	for (int p = 0; p < phases.n; p++)
		an_table_col(t, phases.v[p]);
	for (int i = 0; i < names.n; i++)
		tunable_row(t, tun, &phases, names.v[i]);
	if (names.n) {
		an_table_emit(d, t);
	} else {
		an_table_free(t);
		an_p(d, AN_PLAIN, "(none recorded)");
	}
	an_names_free(&phases);
	an_names_free(&names);
}

static void report_doc(struct an_doc *d, const json_t *doc)
{
	static const char *const host_first[] = {
	    "hostname", "kernel", "kernel_version", "cmdline", "cpu_model", "virtualization", NULL};
	static const char *const tool_first[] = {"version", "git_commit", "compiler", NULL};
	static const char *const known[] = {"host",	"tool",	    "capabilities",
					    "topology", "tunables", "runs",
					    "schema",	"started",  NULL};
	const json_t *runs = json_object_get(doc, "runs");
	const char *k;
	json_t *x;
	const json_t *host = json_object_get(doc, "host");
	if (d->fmt == AN_CSV || d->fmt == AN_JSON) {
		an_report_tidy(d, doc);
		return;
	}
	an_p(d, AN_PLAIN, "Schema %s. Host %s, kernel %s. Started %s.",
	     json_string_value(json_object_get(doc, "schema")),
	     json_string_value(json_object_get(host, "hostname")) ?: "(unknown)",
	     json_string_value(json_object_get(host, "kernel")) ?: "(unknown)",
	     json_string_value(json_object_get(doc, "started")) ?: "(unknown)");
	an_toc_here(d);
	an_report_summary(d, doc);
	for (size_t i = 0; i < json_array_size(runs); i++)
		an_report_run(d, json_array_get(runs, i), (int)i + 1, doc);
	json_object_foreach((json_t *)doc, k, x)
	{
		if (!in_list(known, k))
			an_generic(d, k, x);
	}
	/* What the machine was: after the answers. */
	section_topology(d, json_object_get(doc, "topology"));
	section_tunables(d, json_object_get(doc, "tunables"));
	kv_section(d, "Host", json_object_get(doc, "host"), host_first);
	kv_section(d, "Capabilities", json_object_get(doc, "capabilities"), NULL);
	kv_section(d, "numabench", json_object_get(doc, "tool"), tool_first);
}

bool an_use_color(const struct an_opts *o)
{
	const char *nc = getenv("NO_COLOR");
	return o->fmt == AN_TEXT && !o->out && isatty(STDOUT_FILENO) && !(nc && *nc);
}

int an_run_report(const struct an_opts *o)
{
	struct an_doc d;
	char title[512];
	int rc;
	json_t *doc = an_load(o->files[0]);
	if (!doc)
		return NB_EXIT_USAGE;
	snprintf(title, sizeof(title), "numabench report: %s", an_basename(o->files[0]));
	if (an_doc_open(&d, o->fmt, an_use_color(o), title)) {
		nb_err("report: out of memory");
		json_decref(doc);
		return NB_EXIT_ENV;
	}
	report_doc(&d, doc);
	rc = an_doc_close(&d, o->out);
	json_decref(doc);
	return rc;
}
