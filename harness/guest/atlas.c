/* numabench atlas: every selected kernel characterized in QEMU guests, into one atlas JSON
 * (README "Atlas"). Per kernel: resolve (kernel.c), hash the image (sha256.c), read the
 * package's config-* facts, then the guest runs the behaviours need (run.c nb_guest_run):
 * 2node with configs/atlas.json at each proc_mem.force_override mode, 3node-tier with the tier
 * bench. A kernel's entry is cached under CACHE/atlas/ by the image's hash and the suite's, so
 * adding a kernel boots only that one. A kernel that cannot be fetched, does not boot, hangs
 * or lacks NUMA is an entry with its reason; the atlas still completes. */
#include "atlas.h"
#include "guest_int.h"
#include "paths.h"
#include "results.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define A_MAX_KERNELS 128
#define A_FORMAT 1

static const char *const cfg_keys[] = {
    "CONFIG_NUMA",	     "CONFIG_NUMA_BALANCING", "CONFIG_NUMA_BALANCING_DEFAULT_ENABLED",
    "CONFIG_PREEMPT_RT",     "CONFIG_NODES_SHIFT",    "CONFIG_TRANSPARENT_HUGEPAGE",
    "CONFIG_MIGRATION",	     "CONFIG_ACPI_HMAT",      "CONFIG_DEV_DAX_KMEM",
    "CONFIG_MEMORY_HOTPLUG", "CONFIG_NUMA_EMU",	      NULL};

/* Config facts of a config-* file: each key's value ("y", "m", a number), null when unset;
 * NULL when there is no config. */
json_t *nb_atlas_config_facts(const char *text)
{
	if (!text)
		return NULL;
	json_t *o = json_object();
	for (int i = 0; cfg_keys[i]; i++) {
		char needle[96];
		size_t n = (size_t)snprintf(needle, sizeof(needle), "\n%s=", cfg_keys[i]);
		const char *hit = strstr(text, needle);
		if (!hit && !strncmp(text, needle + 1, n - 1))
			hit = text - 1;
		if (!hit) {
			json_object_set_new(o, cfg_keys[i], json_null());
			continue;
		}
		const char *v = hit + n;
		size_t len = strcspn(v, "\n");
		char val[64];
		snprintf(val, sizeof(val), "%.*s", (int)len, v);
		json_object_set_new(o, cfg_keys[i], json_string(val));
	}
	return o;
}

/* "Unknown kernel command line parameters "... proc_mem.force_override=..."": the kernel
 * does not have the parameter. 1 has it, 0 not, -1 cannot tell (no console). */
int nb_atlas_console_has_param(const char *console, const char *param)
{
	if (!console)
		return -1;
	const char *u = strstr(console, "Unknown kernel command line parameters");
	if (u) {
		size_t n = strcspn(u, "\n");
		char *line = strndup(u, n);
		bool unknown = line && strstr(line, param);
		free(line);
		if (unknown)
			return 0;
	}
	return strstr(console, "Linux version") ? 1 : -1;
}

struct akernel {
	char spec[PATH_MAX];
	struct gkernel k;
	char sha[65], config[PATH_MAX];
};

static const char *const force_names[] = {"never", "always", "ptrace"};

static int parse_force(const char *s, bool on[3])
{
	char buf[128];
	snprintf(buf, sizeof(buf), "%s", s);
	memset(on, 0, 3 * sizeof(bool));
	for (char *save, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		int i = 0;
		while (i < 3 && strcmp(t, force_names[i]))
			i++;
		if (i == 3) {
			nb_err("atlas: --force %s is not valid (valid: a list of never, always, "
			       "ptrace)",
			       t);
			return -1;
		}
		on[i] = true;
	}
	if (!on[0] && !on[1] && !on[2]) {
		nb_err("atlas: --force is empty (valid: a list of never, always, ptrace)");
		return -1;
	}
	return 0;
}

/* --kernels into specs: 6.1, 6.12 (newest), all (every plain package of both series, oldest
 * first), package names, image paths. The count, or -1 after one error line. */
static int expand_kernels(const char *list, const char *cache, struct akernel *ks, int max)
{
	char buf[8192];
	int n = 0;
	if (strlen(list) >= sizeof(buf)) {
		nb_err("atlas: --kernels is too long (valid: at most %zu characters)",
		       sizeof(buf) - 1);
		return -1;
	}
	snprintf(buf, sizeof(buf), "%s", list);
	for (char *save, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (!strcmp(t, "all")) {
			static char names[64][128];
			for (int s = 0; s < 2; s++) {
				int m = kernel_series_list(s ? "6.12" : "6.1", cache, names, 64);
				for (int i = 0; i < m && n < max; i++)
					snprintf(ks[n++].spec, sizeof(ks->spec), "%s", names[i]);
			}
			continue;
		}
		bool ok = !strcmp(t, "6.1") || !strcmp(t, "6.12") ||
			  !strncmp(t, "linux-image-", 12) || is_file(t);
		if (!ok) {
			nb_err("atlas: --kernels item '%s' is not valid (valid: 6.1, 6.12, all, a "
			       "linux-image-* package name, or the path of a bzImage)",
			       t);
			return -1;
		}
		if (n < max)
			snprintf(ks[n++].spec, sizeof(ks->spec), "%s", t);
	}
	if (!n)
		nb_err("atlas: --kernels selects no kernel (apt-cache knows none; run apt-get "
		       "update)");
	return n ? n : -1;
}

static char *cfg_text(const struct akernel *a)
{
	size_t n;
	char p[PATH_MAX];
	if (!a->k.package[0])
		return NULL;
	char *slash = strrchr(a->k.path, '/');
	if (!slash || path_fmt(p, sizeof(p), "%.*s/config", (int)(slash - a->k.path), a->k.path))
		return NULL;
	return nb_read_all(p, 16u << 20, &n);
}

/* The key of a kernel's cached entry: the image, the suite, the force modes, the binary. */
static int entry_key(const struct akernel *a, const struct nb_atlas_opts *o, char hex[65])
{
	struct sha256 s;
	char p[PATH_MAX], self[PATH_MAX];
	sha256_init(&s);
	sha256_update(&s, a->sha, 64);
	sha256_update(&s, o->force, strlen(o->force));
	sha256_update(&s, o->no_tier ? "T0" : "T1", 2);
	if (path_fmt(p, sizeof(p), "%s/atlas.json", nb_configs_dir()) || sha256_file(&s, p))
		return -1;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = 0;
		if (sha256_file(&s, self))
			return -1;
	}
	sha256_hex(&s, hex);
	return 0;
}

/* One guest run into a kernel entry's runs[]: its status, seconds, exit code and results. */
static json_t *guest_once(const struct akernel *a, const char *topo, const char *append,
			  const char *dir, const char *name, unsigned timeout, int gargc,
			  char **gargv, int *rc_out)
{
	struct nb_guest_opts g = {.kernel = a->k.package[0] ? a->k.package : a->k.path,
				  .topology = topo,
				  .timeout = timeout,
				  .gargc = gargc,
				  .gargv = gargv};
	char out[PATH_MAX + 64];
	snprintf(out, sizeof(out), "%s/%s.json", dir, name);
	snprintf(g.append, sizeof(g.append), "%s", append);
	g.out = out;
	unlink(out);
	uint64_t t0 = nb_now_ns();
	int rc = nb_guest_run(&g);
	double secs = (double)(nb_now_ns() - t0) / 1e9;
	*rc_out = rc;
	json_t *doc = json_load_file(out, 0, NULL), *r = json_object();
	json_object_set_new(r, "name", json_string(name));
	json_object_set_new(r, "topology", json_string(topo));
	json_object_set_new(r, "append", json_string(append));
	json_object_set_new(r, "exit_code", json_integer(rc));
	json_object_set_new(r, "wall_s", json_real(secs));
	json_t *gm = doc ? json_object_get(doc, "guest") : NULL;
	json_object_set(r, "guest_s", gm ? json_object_get(gm, "seconds") : json_null());
	const char *st = !doc ? "failed" : rc == 0 || rc == 3 ? "ok" : "partial";
	json_object_set_new(r, "status", json_string(st));
	if (!doc) {
		char console[PATH_MAX + 80], line[300] = "";
		snprintf(console, sizeof(console), "%s.console.log", out);
		size_t n;
		char *c = nb_read_all(console, 64u << 20, &n);
		const char *panic = c ? strstr(c, "Kernel panic") : NULL;
		if (panic)
			first_line(panic, line, sizeof(line));
		char why[200];
		if (rc == NB_EXIT_GUEST && secs >= timeout)
			snprintf(why, sizeof(why),
				 "timed out after %u s (--timeout): hung or too slow", timeout);
		else
			snprintf(why, sizeof(why), "%s",
				 rc == NB_EXIT_INTERRUPTED ? "interrupted"
				 : line[0]		   ? line
				 : rc == NB_EXIT_GUEST
				     ? "the guest did not boot or returned no results"
				     : "no results");
		json_object_set_new(r, "reason", json_string(why));
		free(c);
	}
	if (doc)
		json_object_set_new(r, "results", doc);
	return r;
}

static bool cfg_is(const json_t *cfg, const char *key, const char *val)
{
	const char *v = json_string_value(json_object_get(cfg, key));
	return v && !strcmp(v, val);
}

/* Every guest run of one kernel into its entry. */
static void kernel_runs(struct akernel *a, const struct nb_atlas_opts *o, const bool force[3],
			const char *dir, json_t *e)
{
	json_t *runs = json_array(), *cfg = json_object_get(e, "config");
	json_object_set_new(e, "runs", runs);
	if (cfg && !cfg_is(cfg, "CONFIG_NUMA", "y")) {
		json_object_set_new(e, "status", json_string("no_numa"));
		json_object_set_new(e, "reason", json_string("CONFIG_NUMA is not set"));
		return;
	}
	char *suite[] = {"run", "atlas"};
	char *gup_only[] = {
	    "run",	    "gup",   "--set",		"gup.size=64K", "--set",
	    "gup.repeat=1", "--set", "gup.pairs=cross", "--set",	"gup.balancing=1"};
	char *tier[] = {"run",	 "tier",
			"--set", "tier.hot_size=8M",
			"--set", "tier.cold_size=16M",
			"--set", "tier.duration_s=6",
			"--set", "tier.interval_ms=250"};
	int booted = 0, has_param = -1, rc = 0;
	bool first = true;
	for (int f = 1; f < 4 && !nb_interrupted; f++) {
		int i = f % 3; /* always first: the forced paths; then never, ptrace */
		if (!force[i])
			continue;
		char name[64], app[96];
		snprintf(name, sizeof(name), "2node-%s", force_names[i]);
		snprintf(app, sizeof(app), "proc_mem.force_override=%s", force_names[i]);
		/* A later mode runs gup only, which needs NUMA balancing (a -rt kernel has none):
		 * it would boot only to skip. */
		const char *no_later = has_param == 0 ? "the kernel has no proc_mem.force_override"
				       : cfg && !cfg_is(cfg, "CONFIG_NUMA_BALANCING", "y")
					   ? "CONFIG_NUMA_BALANCING is not set: gup has no hinting "
					     "faults to measure"
					   : NULL;
		if (!first && no_later) {
			json_array_append_new(runs, json_pack("{s:s,s:s,s:s,s:s}", "name", name,
							      "topology", "2node", "status",
							      "skipped", "reason", no_later));
			continue;
		}
		fprintf(stderr, "numabench: atlas: %s: %s\n",
			a->k.package[0] ? a->k.package : a->k.path, name);
		json_t *r =
		    first ? guest_once(a, "2node", app, dir, name, o->timeout, 2, suite, &rc)
			  : guest_once(a, "2node", app, dir, name, o->timeout, 10, gup_only, &rc);
		json_array_append_new(runs, r);
		booted += json_object_get(r, "results") != NULL;
		if (first) {
			char console[PATH_MAX + 96];
			size_t n;
			snprintf(console, sizeof(console), "%s/%s.json.console.log", dir, name);
			char *c = nb_read_all(console, 64u << 20, &n);
			has_param = nb_atlas_console_has_param(c, "proc_mem.force_override");
			free(c);
		}
		first = false;
	}
	json_object_set_new(e, "proc_mem_force_override_param",
			    has_param < 0 ? json_null() : json_boolean(has_param));
	if (!o->no_tier && !nb_interrupted && booted) {
		fprintf(stderr, "numabench: atlas: %s: 3node-tier\n",
			a->k.package[0] ? a->k.package : a->k.path);
		json_array_append_new(runs, guest_once(a, "3node-tier", "", dir, "3node-tier",
						       o->timeout, 10, tier, &rc));
	}
	json_object_set_new(e, "status", json_string(booted ? "ok" : "failed"));
	if (booted && cfg && !cfg_is(cfg, "CONFIG_NUMA_BALANCING", "y"))
		json_object_set_new(e, "reason",
				    json_string("CONFIG_NUMA_BALANCING is not set: no hinting "
						"faults, balancing or promotion to measure"));
	if (!booted) {
		json_t *r0 = json_array_get(runs, 0);
		json_object_set(e, "reason", r0 ? json_object_get(r0, "reason") : json_null());
	}
}

/* Entry of one kernel: from the cache, or measured and cached. */
static json_t *kernel_entry(struct akernel *a, const struct nb_atlas_opts *o, const bool force[3],
			    const char *cache, int *booted)
{
	json_t *e = json_object();
	char acache[PATH_MAX], key[65], p[PATH_MAX + 80], dir[PATH_MAX + 80];
	json_object_set_new(e, "spec", json_string(a->spec));
	int lock = cache_lock(cache);
	int krc = kernel_resolve(a->spec, cache, &a->k);
	if (lock >= 0)
		close(lock);
	if (krc) {
		json_object_set_new(e, "status", json_string("unavailable"));
		json_object_set_new(
		    e, "reason",
		    json_string(is_file(a->spec) ? "not a bzImage (no HdrS boot header)"
				: !strncmp(a->spec, "linux-image-", 12)
				    ? "apt-get download of the package failed (no such package, or "
				      "offline)"
				    : "no usable package of the series (apt-get download failed)"));
		return e;
	}
	struct sha256 s;
	sha256_init(&s);
	if (sha256_file(&s, a->k.path)) {
		json_object_set_new(e, "status", json_string("unavailable"));
		json_object_set_new(e, "reason", json_string("cannot read the kernel image"));
		return e;
	}
	sha256_hex(&s, a->sha);
	if (path_fmt(acache, sizeof(acache), "%s/atlas", cache) || mkdir_p(acache, 0755) ||
	    entry_key(a, o, key))
		return e;
	snprintf(p, sizeof(p), "%s/%s.json", acache, key);
	json_t *old = o->fresh ? NULL : json_load_file(p, 0, NULL);
	if (old) {
		fprintf(stderr, "numabench: atlas: %s: cached (%s)\n", a->spec, p);
		json_object_set_new(old, "cached", json_true());
		json_decref(e);
		return old;
	}
	json_object_set_new(e, "package", json_string(a->k.package));
	json_object_set_new(e, "version", json_string(a->k.version));
	json_object_set_new(e, "label", json_string(a->k.label));
	json_object_set_new(e, "image", json_string(a->k.path));
	json_object_set_new(e, "image_sha256", json_string(a->sha));
	char *cfg = cfg_text(a);
	json_t *facts = nb_atlas_config_facts(cfg);
	free(cfg);
	json_object_set_new(e, "config", facts ? facts : json_null());
	snprintf(dir, sizeof(dir), "%s/%s.runs", acache, key);
	mkdir_p(dir, 0755);
	kernel_runs(a, o, force, dir, e);
	(*booted)++;
	const char *st = json_string_value(json_object_get(e, "status"));
	/* A failure is not cached: a longer --timeout, or a fixed host, may boot it. */
	if (!nb_interrupted && st && (!strcmp(st, "ok") || !strcmp(st, "no_numa"))) {
		char err[256];
		if (nb_result_write(p, e, err, sizeof(err)))
			nb_warn("atlas: cannot cache %s: %s", a->spec, err);
	}
	json_object_set_new(e, "cached", json_false());
	return e;
}

int nb_atlas_run(const struct nb_atlas_opts *o)
{
	char cache[PATH_MAX], stamp[32], err[256];
	bool force[3];
	if (parse_force(o->force, force))
		return NB_EXIT_USAGE;
	if (o->cache) {
		if (mkdir_p(o->cache, 0755) || !realpath(o->cache, cache)) {
			nb_err("atlas: --cache %s is not valid: %s", o->cache, strerror(errno));
			return NB_EXIT_USAGE;
		}
		setenv("NUMABENCH_CACHE", cache, 1);
	} else if (cache_dir(cache, sizeof(cache))) {
		return NB_EXIT_ENV;
	}
	struct akernel *ks = calloc(A_MAX_KERNELS, sizeof(*ks));
	int lock = cache_lock(cache);
	int n = ks ? expand_kernels(o->kernels, cache, ks, A_MAX_KERNELS) : -1;
	if (lock >= 0)
		close(lock);
	if (n < 0) {
		free(ks);
		return NB_EXIT_USAGE;
	}
	json_t *doc = json_object(), *arr = json_array();
	utc_stamp(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ");
	json_object_set_new(doc, "atlas_format", json_integer(A_FORMAT));
	json_object_set_new(doc, "created", json_string(stamp));
	json_object_set_new(doc, "numabench", json_string(NB_VERSION " " NB_GIT_COMMIT));
	json_object_set_new(doc, "kernels_arg", json_string(o->kernels));
	json_object_set_new(doc, "force", json_string(o->force));
	json_object_set_new(doc, "tier", json_boolean(!o->no_tier));
	json_object_set_new(doc, "kernels", arr);
	int booted = 0, cached = 0;
	uint64_t t0 = nb_now_ns();
	for (int i = 0; i < n && !nb_interrupted; i++) {
		fprintf(stderr, "numabench: atlas: [%d/%d] %s\n", i + 1, n, ks[i].spec);
		uint64_t k0 = nb_now_ns();
		json_t *e = kernel_entry(&ks[i], o, force, cache, &booted);
		json_object_set_new(e, "atlas_wall_s", json_real((double)(nb_now_ns() - k0) / 1e9));
		fprintf(stderr, "numabench: atlas: [%d/%d] %s: %s in %.0f s\n", i + 1, n,
			ks[i].spec, json_string_value(json_object_get(e, "status")),
			(double)(nb_now_ns() - k0) / 1e9);
		cached += json_is_true(json_object_get(e, "cached"));
		json_array_append_new(arr, e);
	}
	json_object_set_new(doc, "kernels_booted", json_integer(booted));
	json_object_set_new(doc, "wall_s", json_real((double)(nb_now_ns() - t0) / 1e9));
	free(ks);
	char out[PATH_MAX];
	if (o->out)
		snprintf(out, sizeof(out), "%s", o->out);
	else
		utc_stamp(out, sizeof(out), "results/atlas-%Y%m%dT%H%M%SZ.json");
	int rc = nb_result_write(out, doc, err, sizeof(err));
	json_decref(doc);
	if (rc) {
		nb_err("atlas: %s", err);
		return NB_EXIT_ENV;
	}
	fprintf(stderr, "numabench: atlas: %d kernels (%d booted, %d from the cache): %s\n", n,
		booted, cached, out);
	return nb_interrupted ? NB_EXIT_INTERRUPTED : NB_EXIT_OK;
}
