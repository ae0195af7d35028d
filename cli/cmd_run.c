/* numabench `run`: the command line of a run (targets, suites, --set, options); the bench
 * registry is resolved here, and the run itself is nb_run_exec (harness/runner.c). */
#include "cli.h"
#include "results.h"
#include "runner.h"
#include "tunables.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void list_names(char *buf, size_t len)
{
	size_t off = 0;
	for (int i = 0; nb_benches[i] && off < len; i++)
		off += snprintf(buf + off, len - off, "%s%s", i ? ", " : "", nb_benches[i]->name);
}

static int suite_jobs(struct nb_run_opts *o, json_t *doc, const char *name)
{
	json_t *benches = json_object_get(doc, "benches");
	json_t *budget = json_object_get(doc, "budget");
	double bs;
	if (budget &&
	    (!json_is_string(budget) || nb_parse_duration(json_string_value(budget), &bs))) {
		nb_err("suite %s: bad \"budget\" (valid: a duration such as \"60s\", \"5m\", "
		       "\"1h\")",
		       name);
		return -1;
	}
	if (budget && !o->budget_s) { /* --budget wins; else the first suite's */
		o->budget_s = bs;
		o->budget_from = name;
	}
	if (!json_is_array(benches)) {
		nb_err("suite %s: \"benches\" must be an array of {\"bench\":NAME,\"params\":{}}",
		       name);
		return -1;
	}
	size_t i;
	json_t *e;
	json_array_foreach(benches, i, e)
	{
		const char *bn = json_string_value(json_object_get(e, "bench"));
		const struct nb_bench *b = bn ? nb_bench_find(bn) : NULL;
		json_t *params = json_object_get(e, "params");
		if (!bn) {
			nb_err("suite %s: benches[%zu] has no \"bench\" name (expected "
			       "{\"bench\":NAME,\"params\":{}})",
			       name, i);
			return -1;
		}
		if (!b) {
			char names[512];
			list_names(names, sizeof(names));
			nb_err("suite %s: benches[%zu]: unknown bench \"%s\" (valid: %s)", name, i,
			       bn, names);
			return -1;
		}
		if (params && !json_is_object(params)) {
			nb_err("suite %s: params of %s must be an object", name, bn);
			return -1;
		}
		json_t *empty = params ? NULL : json_object();
		int rc = nb_run_add_job(o, b, params ? params : empty, name);
		json_decref(empty);
		if (rc)
			return -1;
	}
	return 0;
}

static int load_suite(struct nb_run_opts *o, const char *path, const char *name)
{
	char err[PATH_MAX + 256];
	json_t *doc = nb_json_load(path, NB_CONFIG_MAX_BYTES, err, sizeof(err));
	if (!doc) {
		nb_err("suite: %s", err);
		return -1;
	}
	int rc = suite_jobs(o, doc, name);
	json_decref(doc);
	return rc;
}

/* For fuzzing and tests: parse a suite from memory; 0 or -1 (message on stderr). */
int nb_suite_parse(const char *buf, size_t len)
{
	static struct nb_run_opts o;
	json_error_t je;
	memset(&o, 0, sizeof(o));
	json_t *doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (!doc)
		return -1;
	int rc = suite_jobs(&o, doc, "input");
	json_decref(doc);
	nb_run_free(&o);
	return rc;
}

static int add_target(struct nb_run_opts *o, const char *t)
{
	const struct nb_bench *b = nb_bench_find(t);
	if (b) {
		json_t *empty = json_object();
		int rc = nb_run_add_job(o, b, empty, t);
		json_decref(empty);
		return rc;
	}
	char path[PATH_MAX];
	if (strchr(t, '/') || strstr(t, ".json"))
		snprintf(path, sizeof(path), "%s", t);
	else
		snprintf(path, sizeof(path), "%s/%s.json", nb_configs_dir(), t);
	if (strchr(t, '/') || access(path, R_OK) == 0)
		return load_suite(o, path, t);
	char names[512];
	list_names(names, sizeof(names));
	nb_err("unknown suite or bench \"%s\" (benches: %s; suites: see numabench list)", t, names);
	return -1;
}

static int apply_set(struct nb_run_opts *o, const char *s)
{
	char err[512], key[128];
	const char *eq = strchr(s, '='), *dot = strchr(s, '.');
	if (!eq || !dot || dot > eq || (size_t)(eq - s) >= sizeof(key)) {
		nb_err("--set %s: expected BENCH.PARAM=VALUE or knob.NAME=VALUE", s);
		return -1;
	}
	memcpy(key, s, (size_t)(eq - s));
	key[eq - s] = 0;
	key[dot - s] = 0;
	const char *param = key + (dot - s) + 1, *val = eq + 1;
	if (!strcmp(key, "knob")) {
		const struct nb_tunable *t = nb_tunable_find(param);
		if (!t) {
			nb_err("--set knob.%s: unknown tunable (see numabench knobs)", param);
			return -1;
		}
		if (nb_tunable_check(t, val, err, sizeof(err))) {
			nb_err("%s", err);
			return -1;
		}
		return 0;
	}
	const struct nb_bench *b = nb_bench_find(key);
	if (!b) {
		char names[512];
		list_names(names, sizeof(names));
		nb_err("--set %s: unknown bench \"%s\" (valid: %s, knob)", s, key, names);
		return -1;
	}
	int applied = 0;
	for (int i = 0; i < o->njobs; i++) {
		if (o->jobs[i].b != b)
			continue;
		if (nb_params_set(&o->jobs[i].p, param, val, err, sizeof(err))) {
			nb_err("%s", err);
			return -1;
		}
		applied++;
	}
	if (!applied) {
		/* Still validate the name and value, so a typo is named as such. */
		struct nb_params tmp;
		int rc = nb_params_init(&tmp, b, err, sizeof(err)) ||
			 nb_params_set(&tmp, param, val, err, sizeof(err));
		nb_params_free(&tmp);
		if (rc)
			nb_err("%s", err);
		else
			nb_err("--set %s: bench %s is not part of this run", s, b->name);
		return -1;
	}
	return 0;
}

static int parse_opts(int argc, char **argv, struct nb_run_opts *o)
{
	const struct nb_cli_cmd *cmd = nb_cli_find("run");
	struct nb_cli_getopt g;
	int c;
	uint64_t v;
	nb_cli_getopt_init(&g, cmd);
	nb_cli_getopt_reset();
	while ((c = getopt_long(argc, argv, g.optstring, g.lo, NULL)) != -1) {
		switch (c) {
		case 'b':
			if (nb_parse_duration(optarg, &o->budget_s)) {
				nb_err("--budget %s: expected a duration > 0 such as 90, 60s, 5m "
				       "or 1h "
				       "(at most a week)",
				       optarg);
				return -1;
			}
			o->budget_from = "--budget";
			break;
		case 'o':
			o->out = optarg;
			break;
		case 'r':
			if (nb_parse_u64(optarg, &v) || v < 1 || v > 64) {
				nb_err("--repeat %s: expected a whole number 1..64", optarg);
				return -1;
			}
			o->repeat = (int)v;
			break;
		case 'q':
			o->quick = true;
			break;
		case 's':
			if (o->nsets >= NB_MAX_SETS) {
				nb_err("too many --set options (at most %d)", NB_MAX_SETS);
				return -1;
			}
			o->sets[o->nsets++] = optarg;
			break;
		case 'n':
			o->nodes = optarg;
			break;
		case 'c':
			o->cpus = optarg;
			break;
		case 'e':
			o->events = optarg;
			break;
		case 'v':
			nb_verbose = 1;
			break;
		case 'P':
			o->plan = true;
			break;
		case 'J':
			o->json = true;
			break;
		default:
			nb_cli_bad_opt(cmd, &g, c, argv);
			return -1;
		}
	}
	if (optind >= argc) {
		/* Never a default suite: a run changes tunables, so it is asked for by name. */
		nb_err("run: name a suite or bench, e.g. numabench run quick (see numabench list)");
		return -1;
	}
	for (int i = optind; i < argc; i++)
		if (add_target(o, argv[i]))
			return -1;
	for (int i = 0; i < o->nsets; i++)
		if (apply_set(o, o->sets[i]))
			return -1;
	if (o->json && !o->plan) {
		nb_err("run: --json goes with --plan (a run always writes JSON results: -o FILE)");
		return -1;
	}
	return 0;
}

int nb_cmd_run(int argc, char **argv)
{
	static struct nb_run_opts o; /* large: keep it off the stack */
	memset(&o, 0, sizeof(o));
	int rc = parse_opts(argc, argv, &o) ? NB_EXIT_USAGE
		 : o.plan		    ? nb_run_plan(&o)
					    : nb_run_exec(&o, argc, argv);
	nb_run_free(&o);
	return rc;
}

/* For fuzzing and tests: parse a `run` command line without running it. */
int nb_run_parse(int argc, char **argv)
{
	static struct nb_run_opts o;
	memset(&o, 0, sizeof(o));
	int rc = parse_opts(argc, argv, &o);
	nb_run_free(&o);
	return rc;
}
