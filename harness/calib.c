/* numabench: the plan's estimates calibrated by this host's own earlier results. */
#include "calib.h"
#include "nb.h"
#include "results.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define CALIB_FILES 16
#define CALIB_MAX_BYTES (64ull << 20)
#define CALIB_RUNS 3 /* matching runs whose median sets an estimate */

const char *nb_calib_dir(void)
{
	const char *e = getenv("NUMABENCH_CALIBRATION");
	if (e && !strcmp(e, "off"))
		return NULL;
	return e && *e ? e : "results";
}

struct cfile {
	char path[PATH_MAX];
	time_t mtime;
};

static int by_mtime_desc(const void *a, const void *b)
{
	const struct cfile *x = a, *y = b;
	return x->mtime < y->mtime ? 1 : x->mtime > y->mtime ? -1 : strcmp(x->path, y->path);
}

static bool same_str(json_t *a, json_t *b, const char *key)
{
	const char *x = json_string_value(json_object_get(a, key));
	const char *y = json_string_value(json_object_get(b, key));
	return x && y && !strcmp(x, y);
}

/* Whether the run's figure is a whole measurement of its bench (not cut short). */
static bool whole(json_t *run)
{
	const char *st = json_string_value(json_object_get(run, "status"));
	const char *why = json_string_value(json_object_get(run, "reason"));
	return st && (!strcmp(st, "ok") || !strcmp(st, "untrustworthy")) &&
	       !(why && !strncmp(why, "budget:", 7)) &&
	       json_number_value(json_object_get(run, "duration_s")) > 0;
}

static void take_runs(json_t *doc, const char *path, json_t *out)
{
	size_t i;
	json_t *run;
	json_array_foreach(json_object_get(doc, "runs"), i, run)
	{
		if (!whole(run) || !json_object_get(run, "params_canonical"))
			continue;
		json_t *model = json_object_get(run, "estimate_model_s");
		if (!model)
			model = json_object_get(run, "estimate_s");
		json_array_append_new(
		    out, json_pack("{s:O,s:O,s:O,s:O,s:s}", "bench", json_object_get(run, "bench"),
				   "params_canonical", json_object_get(run, "params_canonical"),
				   "duration_s", json_object_get(run, "duration_s"),
				   "estimate_model_s", model ? model : json_null(), "file", path));
	}
}

json_t *nb_calib_load(const char *dir)
{
	json_t *out = json_array();
	DIR *d = dir ? opendir(dir) : NULL;
	if (!d)
		return out;
	struct cfile *fs = NULL;
	int n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		struct stat st;
		char p[PATH_MAX];
		if (l < 6 || strcmp(e->d_name + l - 5, ".json") ||
		    snprintf(p, sizeof(p), "%s/%s", dir, e->d_name) >= (int)sizeof(p) ||
		    stat(p, &st) || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > CALIB_MAX_BYTES)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			struct cfile *nf = realloc(fs, sizeof(*fs) * (size_t)cap);
			if (!nf)
				break;
			fs = nf;
		}
		snprintf(fs[n].path, sizeof(fs[n].path), "%s", p);
		fs[n++].mtime = st.st_mtime;
	}
	closedir(d);
	if (n > 1)
		qsort(fs, (size_t)n, sizeof(*fs), by_mtime_desc);
	json_t *host = nb_result_host();
	for (int i = 0, used = 0; i < n && used < CALIB_FILES; i++) {
		char err[256];
		json_t *doc = nb_json_load(fs[i].path, CALIB_MAX_BYTES, err, sizeof(err));
		const char *schema = json_string_value(json_object_get(doc, "schema"));
		json_t *h = json_object_get(doc, "host");
		const char *src =
		    json_string_value(json_object_get(json_object_get(doc, "topology"), "source"));
		if (schema && !strncmp(schema, "numabench.result/", 17) &&
		    !json_is_true(json_object_get(doc, "interrupted")) &&
		    same_str(h, host, "hostname") && same_str(h, host, "kernel") &&
		    same_str(h, host, "cpu_model") && (!src || !strcmp(src, "live"))) {
			take_runs(doc, fs[i].path, out);
			used++;
		}
		json_decref(doc);
	}
	json_decref(host);
	free(fs);
	return out;
}

/* The figure of one matching run: its factor (measured / model) for a planned bench, else its
 * measured time. */
static double calib_figure(json_t *c, double model_s)
{
	double measured = json_number_value(json_object_get(c, "duration_s"));
	double model = json_number_value(json_object_get(c, "estimate_model_s"));
	return model_s >= 0 ? measured / model : measured;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double nb_calib_estimate(json_t *calib, const char *bench, json_t *canon, double model_s,
			 json_t **info)
{
	size_t i;
	json_t *c, *newest = NULL;
	double fig[CALIB_RUNS];
	int n = 0;
	*info = NULL;
	/* The newest CALIB_RUNS matching runs (calib is newest first): with three, their median,
	 * so that one run on a busy machine does not set the estimate; with fewer, the newest. */
	json_array_foreach(calib, i, c)
	{
		const char *b = json_string_value(json_object_get(c, "bench"));
		if (!b || strcmp(b, bench) ||
		    !json_equal(json_object_get(c, "params_canonical"), canon))
			continue;
		if (model_s >= 0 && json_number_value(json_object_get(c, "estimate_model_s")) <= 0)
			continue; /* the earlier run had no model figure to scale by */
		if (!newest)
			newest = c;
		fig[n++] = calib_figure(c, model_s);
		if (n == CALIB_RUNS)
			break;
	}
	if (!newest)
		return model_s;
	double f = fig[0];
	if (n == CALIB_RUNS) {
		qsort(fig, (size_t)n, sizeof(double), cmp_double);
		f = fig[n / 2];
	}
	double model = json_number_value(json_object_get(newest, "estimate_model_s"));
	*info = json_pack("{s:O,s:f,s:o,s:o,s:i}", "file", json_object_get(newest, "file"),
			  "measured_s", json_number_value(json_object_get(newest, "duration_s")),
			  "model_s", model > 0 ? json_real(model) : json_null(), "factor",
			  model_s >= 0 ? json_real(f) : json_null(), "runs", n);
	return model_s >= 0 ? model_s * f : f;
}
