/* numabench fleet: reading results files one at a time into the summaries the fleet keeps. */
#include "fleet.h"
#include "an_json.h"
#include "results.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Folders deeper than this under a named one are not searched (a loop of bind mounts). */
#define FL_MAX_DEPTH 8

static char *xstrdup(const char *s)
{
	char *r = strdup(s ? s : "");
	if (!r)
		abort();
	return r;
}

static void *grow(void *p, int n, size_t size)
{
	/* Room for element n: capacity doubles at powers of two. */
	if (n && (n & (n - 1)))
		return p;
	p = realloc(p, (size_t)(n ? 2 * n : 1) * size);
	if (!p)
		abort();
	return p;
}

static void skip(struct fleet *fl, const char *path, const char *reason)
{
	fl->skip = grow(fl->skip, fl->nskip, sizeof(*fl->skip));
	fl->skip[fl->nskip++] = (struct fl_skip){xstrdup(path), xstrdup(reason)};
}

static const char *str_or(const json_t *o, const char *k, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s && *s ? s : dflt;
}

static void add_cfg(struct fleet *fl, struct fl_file *f, const char *name, const char *value)
{
	f->cfgk = grow(f->cfgk, f->ncfg, sizeof(int));
	f->cfgv = grow(f->cfgv, f->ncfg, sizeof(char *));
	f->cfgk[f->ncfg] = an_names_add(&fl->cfg, name);
	f->cfgv[f->ncfg++] = xstrdup(value);
}

static bool has_cfg(const struct fleet *fl, const struct fl_file *f, const char *name)
{
	int k = an_names_find(&fl->cfg, name);
	for (int i = 0; k >= 0 && i < f->ncfg; i++)
		if (f->cfgk[i] == k)
			return true;
	return false;
}

static void add_json_cfg(struct fleet *fl, struct fl_file *f, const char *name, const json_t *v)
{
	char *s = v ? json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	add_cfg(fl, f, name, s ? s : "none");
	free(s);
}

/* Node count, cpus per node and memory per node; distances and HMAT as configuration. */
/* The kernel command line as configuration: without the words that name this host's own
 * disk or image (root=UUID=..., BOOT_IMAGE=...), which differ between identical hosts. */
static void cmdline_cfg(char *buf, size_t len, const char *cmdline)
{
	static const char *const own[] = {"BOOT_IMAGE=", "root=", "resume=", "initrd=", NULL};
	struct an_sb sb;
	char *c = strdup(cmdline), *save = NULL;
	if (!c)
		abort();
	an_sb_init(&sb, buf, len);
	for (char *w = strtok_r(c, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		bool skip_it = false;
		for (int i = 0; own[i]; i++)
			skip_it |= !strncmp(w, own[i], strlen(own[i]));
		if (!skip_it)
			an_sb_add(&sb, "%s%s", sb.pos ? " " : "", w);
	}
	free(c);
}

static void read_topology(struct fleet *fl, struct fl_file *f, const json_t *topo, char *shape,
			  size_t len)
{
	const json_t *nodes = json_object_get(topo, "nodes");
	struct an_sb sb;
	an_sb_init(&sb, shape, len);
	f->nnodes = (int)json_array_size(nodes);
	f->mem = calloc((size_t)f->nnodes + 1, sizeof(double));
	if (!f->mem)
		abort();
	an_sb_add(&sb, "%d node%s, cpus", f->nnodes, f->nnodes == 1 ? "" : "s");
	for (int i = 0; i < f->nnodes; i++) {
		const json_t *n = json_array_get(nodes, (size_t)i);
		f->mem[i] = an_num(json_object_get(n, "memory_bytes"));
		an_sb_add(&sb, "%s%zu", i ? "+" : " ", json_array_size(json_object_get(n, "cpus")));
	}
	add_json_cfg(fl, f, "distances", json_object_get(topo, "distances"));
	add_json_cfg(fl, f, "hmat", json_object_get(topo, "memattrs"));
}

/* Tunables before the run, one by one; the capabilities' thp and numa_balancing stand in
 * when the file has no tunables of that name. */
static void read_tunables(struct fleet *fl, struct fl_file *f, const json_t *doc)
{
	const json_t *before = json_object_get(json_object_get(doc, "tunables"), "before");
	const json_t *caps = json_object_get(doc, "capabilities");
	static const char *const from_caps[][2] = {{"thp", "thp_enabled"},
						   {"numa_balancing", "numa_balancing"}};
	char name[300], val[AN_TEXT_MAX];
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)before, k, v)
	{
		snprintf(name, sizeof(name), "tunable %s", k);
		an_value_text(v, val, sizeof(val));
		add_cfg(fl, f, name, val);
	}
	for (size_t i = 0; i < sizeof(from_caps) / sizeof(from_caps[0]); i++) {
		const json_t *c = json_object_get(caps, from_caps[i][0]);
		snprintf(name, sizeof(name), "tunable %s", from_caps[i][1]);
		if (!c || has_cfg(fl, f, name))
			continue;
		an_value_text(c, val, sizeof(val));
		add_cfg(fl, f, name, val);
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The suite: every run's "bench params", sorted, so the order of runs does not matter. */
static void read_suite(const json_t *runs, char *buf, size_t len)
{
	size_t n = json_array_size(runs);
	char **l = calloc(n + 1, sizeof(char *));
	struct an_sb sb;
	if (!l)
		abort();
	for (size_t i = 0; i < n; i++) {
		const json_t *r = json_array_get(runs, i);
		char p[AN_TEXT_MAX];
		an_params_text(json_object_get(r, "params"), p, sizeof(p));
		if (asprintf(&l[i], "%s %s", str_or(r, "bench", "?"), p) < 0)
			abort();
	}
	qsort(l, n, sizeof(char *), cmp_str);
	an_sb_init(&sb, buf, len);
	for (size_t i = 0; i < n; i++) {
		an_sb_add(&sb, "%s%s", i ? "; " : "", l[i]);
		free(l[i]);
	}
	free(l);
}

static int node_of(const json_t *cell)
{
	const json_t *n = json_object_get(cell, "mem_node");
	if (!json_is_integer(n))
		n = json_object_get(cell, "cpu_node");
	return json_is_integer(n) ? (int)json_integer_value(n) : -1;
}

/* The metrics of one ok cell (or of an ok run without cells: label "-"). */
static void read_metrics(struct fleet *fl, struct fl_file *f, const char *prefix,
			 const json_t *cell, const json_t *metrics, int node)
{
	char label[AN_TEXT_MAX], *key;
	const char *m;
	json_t *v;
	an_cell_label(cell, NULL, label, sizeof(label));
	json_object_foreach((json_t *)metrics, m, v)
	{
		double med = an_metric_median(v);
		int k;
		if (!json_is_object(v) || !isfinite(med))
			continue;
		if (asprintf(&key, "%s | %s | %s", prefix, *label ? label : "-", m) < 0)
			abort();
		k = an_names_add(&fl->keys, key);
		free(key);
		for (int i = f->nc - 1; i >= 0; i--)
			if (f->c[i].key == k)
				goto next; /* a repeated cell: the first one counts */
		if (k >= fl->nkeys_meta) {
			fl->key_metric = realloc(fl->key_metric, (size_t)(k + 1) * sizeof(char *));
			fl->key_unit = realloc(fl->key_unit, (size_t)(k + 1) * sizeof(char *));
			if (!fl->key_metric || !fl->key_unit)
				abort();
			fl->key_metric[k] = xstrdup(m);
			fl->key_unit[k] = xstrdup(str_or(v, "unit", ""));
			fl->nkeys_meta = k + 1;
		}
		f->c = grow(f->c, f->nc, sizeof(*f->c));
		f->c[f->nc] =
		    (struct fl_cell){.key = k, .node = node, .dir = an_metric_dir(v), .med = med};
		f->c[f->nc].ns = an_metric_samples(v, &f->c[f->nc].s);
		f->nc++;
	next:;
	}
}

static void read_runs(struct fleet *fl, struct fl_file *f, const json_t *runs)
{
	size_t i, j;
	const json_t *run, *cell;
	json_array_foreach(runs, i, run)
	{
		char params[AN_TEXT_MAX], prefix[AN_TEXT_MAX + 64];
		const char *rst = str_or(run, "status", "?");
		an_params_text(json_object_get(run, "params"), params, sizeof(params));
		snprintf(prefix, sizeof(prefix), "%s %s", str_or(run, "bench", "?"), params);
		if (!strcmp(rst, "ok") && json_object_get(run, "metrics"))
			read_metrics(fl, f, prefix, NULL, json_object_get(run, "metrics"), -1);
		json_array_foreach(json_object_get(run, "cells"), j, cell)
		{
			if (strcmp(str_or(cell, "status", rst), "ok"))
				continue;
			read_metrics(fl, f, prefix, cell, json_object_get(cell, "metrics"),
				     node_of(cell));
		}
	}
}

static void read_one(struct fleet *fl, const char *path)
{
	char err[1024], shape[512], suite[8192], cmdline[4096], *cls;
	json_t *doc = nb_result_read(path, err, sizeof(err));
	struct fl_file *f;
	const json_t *host;
	if (!doc) {
		/* nb_result_read's message starts with the path; the table names it already */
		size_t n = strlen(path);
		skip(fl, path, !strncmp(err, path, n) && err[n] == ':' ? err + n + 2 : err);
		return;
	}
	if (an_check_result(doc, err, sizeof(err))) {
		char why[1100];
		snprintf(why, sizeof(why), "not a valid numabench result: %s", err);
		skip(fl, path, why);
		json_decref(doc);
		return;
	}
	fl->f = grow(fl->f, fl->nf, sizeof(*fl->f));
	f = &fl->f[fl->nf++];
	*f = (struct fl_file){0};
	host = json_object_get(doc, "host");
	f->path = xstrdup(path);
	f->host = xstrdup(str_or(host, "hostname", "(unknown)"));
	f->started = xstrdup(str_or(doc, "started", ""));
	add_cfg(fl, f, "kernel", str_or(host, "kernel", "(unknown)"));
	cmdline_cfg(cmdline, sizeof(cmdline), str_or(host, "cmdline", ""));
	add_cfg(fl, f, "cmdline", cmdline);
	read_topology(fl, f, json_object_get(doc, "topology"), shape, sizeof(shape));
	read_tunables(fl, f, doc);
	read_suite(json_object_get(doc, "runs"), suite, sizeof(suite));
	if (asprintf(&cls, "%s\n%s\n%s", str_or(host, "cpu_model", "(unknown cpu)"), shape, suite) <
	    0)
		abort();
	f->cls = cls;
	read_runs(fl, f, json_object_get(doc, "runs"));
	json_decref(doc);
}

static void read_path(struct fleet *fl, const char *path, int depth, bool named);

static void read_dir(struct fleet *fl, const char *path, int depth)
{
	struct dirent **ents;
	int n = scandir(path, &ents, NULL, alphasort);
	if (n < 0) {
		char why[300];
		snprintf(why, sizeof(why), "cannot read the folder: %s", strerror(errno));
		skip(fl, path, why);
		return;
	}
	for (int i = 0; i < n; i++) {
		char *sub;
		if (ents[i]->d_name[0] != '.' &&
		    asprintf(&sub, "%s/%s", path, ents[i]->d_name) >= 0) {
			read_path(fl, sub, depth + 1, false);
			free(sub);
		}
		free(ents[i]);
	}
	free(ents);
}

static void read_path(struct fleet *fl, const char *path, int depth, bool named)
{
	struct stat st;
	size_t n = strlen(path);
	if (!stat(path, &st) && S_ISDIR(st.st_mode)) {
		if (depth < FL_MAX_DEPTH)
			read_dir(fl, path, depth);
		else
			skip(fl, path, "folder too deep (not searched)");
		return;
	}
	/* In a folder only *.json files are results; a file named on the line always is read. */
	if (named || (n > 5 && !strcmp(path + n - 5, ".json")))
		read_one(fl, path);
}

void fl_read_all(struct fleet *fl, char **paths, int npaths)
{
	for (int i = 0; i < npaths; i++)
		read_path(fl, paths[i], 0, true);
}
