/* numabench guest runner: one guest run (guest.h nb_guest_run), from the topology to the
 * results file: prepare (kernel, initramfs, accelerator), boot, diagnose, write the JSON. */
#include "guest_int.h"
#include "child.h"
#include "results.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct grun {
	struct nb_guest_opts o;
	struct gtopo t;
	struct gkernel k;
	char cache[PATH_MAX], base[PATH_MAX], work[PATH_MAX], out[PATH_MAX], log[PATH_MAX + 16];
	const char *accel;
	struct qresult q;
	struct chan c;
};

static int out_path(struct grun *g)
{
	char stamp[32], dir[PATH_MAX];
	utc_stamp(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ");
	if (g->o.out ? path_fmt(g->out, sizeof(g->out), "%s", g->o.out)
		     : path_fmt(g->out, sizeof(g->out), "results/guest-%s-%s-%s.json", g->t.name,
				g->k.label, stamp))
		return NB_EXIT_USAGE;
	snprintf(g->log, sizeof(g->log), "%s.console.log", g->out);
	char *slash = strrchr(g->out, '/');
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - g->out) : 1, slash ? g->out : ".");
	if (dir[0] && mkdir_p(dir, 0755)) {
		nb_err("guest: cannot create the folder %s for -o %s: %s", dir, g->out,
		       strerror(errno));
		return NB_EXIT_ENV;
	}
	return -1;
}

/* mkdtemp in TMPDIR; a TMPDIR with ',' or ':' would need QEMU escaping: use /tmp then. */
static int work_dir(char *out, size_t len)
{
	const char *tmp = getenv("TMPDIR");
	if (!tmp || !*tmp || strpbrk(tmp, ",:"))
		tmp = "/tmp";
	if (path_fmt(out, len, "%s/numabench-guest-XXXXXX", tmp) || !mkdtemp(out)) {
		nb_err("guest: cannot create a work folder in %s: %s", tmp, strerror(errno));
		return -1;
	}
	return 0;
}

/* Everything before the boot; the cache is locked while it is written. */
static int prepare(struct grun *g)
{
	if (nb_guest_topo_load(g->o.topology, &g->t))
		return NB_EXIT_USAGE;
	if (g->o.arm64 && g->t.hmat) {
		/* QEMU's arm virt board publishes HMAT only through ACPI, which the kernel ignores
		 * there (and ACPI NUMA falls back to one node with Debian's EDK2). */
		nb_err("guest: --topology %s is not valid with --arch arm64: it has an HMAT, which "
		       "an arm64 guest cannot see (valid: a topology without hmat)",
		       g->o.topology);
		return NB_EXIT_USAGE;
	}
	char qemu[PATH_MAX];
	which(qemu_bin(), qemu, sizeof(qemu));
	if (!qemu[0] || access(qemu, X_OK)) {
		nb_err("guest: %s not found: install it with: apt-get install %s (or set "
		       "NUMABENCH_QEMU)",
		       qemu_bin(), guest_arm64() ? "qemu-system-arm" : "qemu-system-x86");
		return NB_EXIT_ENV;
	}
	if (cache_dir(g->cache, sizeof(g->cache)))
		return NB_EXIT_ENV;
	int lock = cache_lock(g->cache), rc = -1;
	bool series = !strcmp(g->o.kernel, "6.1") || !strcmp(g->o.kernel, "6.12") ||
		      !strncmp(g->o.kernel, "linux-image-", 12);
	if (kernel_resolve(g->o.kernel, g->cache, &g->k))
		rc = series ? NB_EXIT_GUEST : NB_EXIT_USAGE;
	if (rc < 0)
		rc = out_path(g);
	if (rc < 0 && (initramfs_base(g->cache, g->base, sizeof(g->base)) ||
		       work_dir(g->work, sizeof(g->work))))
		rc = NB_EXIT_ENV;
	if (rc < 0 && accel_pick(g->cache, &g->k, g->base, g->work, &g->accel))
		rc = NB_EXIT_USAGE;
	if (lock >= 0)
		close(lock);
	return rc;
}

static void status_line(const struct grun *g)
{
	fprintf(stderr,
		"numabench: guest: %s (%d nodes, %d vCPUs, %llu MiB%s) on %s%s%s, %s:", g->t.name,
		g->t.nnodes, g->t.ncpus, (unsigned long long)(g->t.total_mem >> 20),
		g->t.hmat ? ", HMAT" : "", g->k.package[0] ? g->k.package : g->k.path,
		g->k.version[0] ? " " : "", g->k.version, g->accel);
	fprintf(stderr, " numabench");
	for (int i = 0; i < g->o.gargc; i++)
		fprintf(stderr, " %s", g->o.gargv[i]);
	fprintf(stderr, "%s\n", g->o.gargc ? "" : " (run quick)");
}

static int boot(struct grun *g)
{
	char p[PATH_MAX + 16];
	struct argvec a = {.n = 0};
	snprintf(p, sizeof(p), "%s/initrd", g->work);
	if (initramfs_run(g->base, p, "run", g->o.script, g->o.gargc, g->o.gargv))
		return NB_EXIT_ENV;
	snprintf(p, sizeof(p), "%s/vmlinuz", g->work);
	if (symlink(g->k.path, p)) {
		nb_err("guest: cannot link the kernel into %s: %s", g->work, strerror(errno));
		return NB_EXIT_ENV;
	}
	qemu_args(&a, &g->t, g->accel, g->work, g->o.append);
	for (int i = 0; nb_verbose && i < a.n; i++)
		fprintf(stderr, "%s%s", a.v[i], i + 1 < a.n ? " " : "\n");
	status_line(g);
	int rc = qemu_run(a.v, g->work, g->o.timeout, &g->q);
	av_free(&a);
	snprintf(p, sizeof(p), "%s/console", g->work);
	if (copy_file(p, g->log, O_TRUNC))
		nb_warn("guest: cannot write the console log %s: %s", g->log, strerror(errno));
	snprintf(p, sizeof(p), "%s/chan", g->work);
	chan_parse(p, &g->c);
	return rc ? NB_EXIT_GUEST : -1;
}

/* The first line of file that contains needle, or "". */
static void grep_line(const char *file, const char *needle, char *out, size_t len)
{
	size_t n;
	char *buf = nb_read_all(file, 64u << 20, &n), *hit = buf ? strstr(buf, needle) : NULL;
	out[0] = 0;
	if (hit)
		first_line(hit, out, len);
	free(buf);
}

static void qemu_failed(const char *qlog, int status)
{
	size_t n;
	char *buf = nb_read_all(qlog, 1u << 20, &n), line[256] = "";
	if (buf)
		first_line(buf, line, sizeof(line));
	free(buf);
	nb_err("guest: QEMU failed (exit %d): %s", status, line[0] ? line : "no message");
}

/* One clear line on why no exit code came back. */
static int diagnose(const struct grun *g)
{
	char line[256], qlog[PATH_MAX + 16];
	const char *where = g->c.boot ? "while numabench ran" : "before reaching /init";
	snprintf(qlog, sizeof(qlog), "%s/qemu.log", g->work);
	grep_line(g->log, "Kernel panic", line, sizeof(line));
	if (g->q.timed_out)
		nb_err("guest: timed out after %u s %s (--timeout); QEMU killed; console log: %s",
		       g->o.timeout, where, g->log);
	else if (line[0])
		nb_err("guest: the guest kernel panicked (%s); console log: %s", line, g->log);
	else if (g->c.error[0])
		nb_err("guest: the results channel is damaged: %s; console log: %s", g->c.error,
		       g->log);
	else if (!g->c.boot && g->q.status != 0)
		qemu_failed(qlog, g->q.status);
	else
		nb_err(
		    "guest: the guest stopped %s without reporting an exit code; console log: %s",
		    where, g->log);
	return NB_EXIT_GUEST;
}

static void relay(const struct gfile *f, FILE *to, const char *prefix)
{
	const char *p = f ? f->data : NULL;
	while (p && *p) {
		size_t n = strcspn(p, "\n");
		fprintf(to, "%s%.*s\n", prefix, (int)n, p);
		p += n + (p[n] == '\n');
	}
}

/* The JSON the run wrote to a file (the last one), else its stdout if that is JSON. */
static json_t *pick_result(const struct chan *c, bool *from_stdout)
{
	*from_stdout = false;
	for (int i = c->nfiles - 1; i >= 0; i--) {
		json_t *doc = strncmp(c->files[i].name, "file:", 5)
				  ? NULL
				  : json_loadb(c->files[i].data, c->files[i].len, 0, NULL);
		if (doc)
			return doc;
	}
	const struct gfile *out = chan_get(c, "stdout");
	json_t *doc = out ? json_loadb(out->data, out->len, 0, NULL) : NULL;
	*from_stdout = doc != NULL;
	return doc;
}

static json_t *guest_meta(const struct grun *g)
{
	char qver[512] = "", line[256];
	char *argv[] = {(char *)qemu_bin(), "--version", NULL};
	json_t *m = json_object(), *cmd = json_array();
	if (nb_run_capture(argv, NULL, qver, sizeof(qver)) == 0)
		first_line(qver, line, sizeof(line));
	for (int i = 0; i < g->o.gargc; i++)
		json_array_append_new(cmd, json_string(g->o.gargv[i]));
	json_object_set_new(m, "topology", json_string(g->t.name));
	json_object_set_new(m, "topology_file", json_string(g->t.path));
	json_object_set_new(m, "kernel", json_string(g->k.label));
	json_object_set_new(m, "kernel_package", json_string(g->k.package));
	json_object_set_new(m, "kernel_version", json_string(g->k.version));
	json_object_set_new(m, "accel", json_string(g->accel));
	json_object_set_new(m, "arch", json_string(g->o.arm64 ? "arm64" : "x86_64"));
	json_object_set_new(m, "icount", json_boolean(g->o.icount));
	json_object_set_new(m, "append", json_string(g->o.append));
	json_object_set_new(m, "command", cmd);
	json_object_set_new(m, "exit_code", json_integer(g->c.exit_code));
	json_object_set_new(m, "seconds", json_real(g->q.secs));
	json_object_set_new(m, "qemu", json_string(qver[0] ? line : ""));
	json_object_set_new(m, "console_log", json_string(g->log));
	return m;
}

static int finish(struct grun *g)
{
	bool from_stdout;
	char err[512];
	if (g->q.signal) {
		nb_err("guest: interrupted by signal %d: guest killed; console log: %s",
		       g->q.signal, g->log);
		return NB_EXIT_INTERRUPTED;
	}
	if (g->c.exit_code < 0 || g->c.error[0])
		return diagnose(g);
	if (g->q.timed_out)
		nb_warn("guest: the guest reported its results but did not power off: killed");
	relay(chan_get(&g->c, "stderr"), stderr, "[guest] ");
	json_t *doc = pick_result(&g->c, &from_stdout);
	if (!from_stdout)
		relay(chan_get(&g->c, "stdout"), stdout, "");
	if (!doc) {
		/* A failed guest run keeps its own exit code; a clean one without results is
		 * the guest runner's failure. */
		nb_err("guest: numabench exited with %d in the guest and wrote no JSON results; "
		       "console log: %s",
		       g->c.exit_code, g->log);
		return g->c.exit_code ? g->c.exit_code : NB_EXIT_GUEST;
	}
	if (json_is_object(doc))
		json_object_set_new(doc, "guest", guest_meta(g));
	int rc = nb_result_write(g->out, doc, err, sizeof(err));
	json_decref(doc);
	if (rc) {
		nb_err("guest: %s", err);
		return NB_EXIT_ENV;
	}
	fprintf(stderr, "numabench: guest: exit code %d in %.0f s; results: %s (console log: %s)\n",
		g->c.exit_code, g->q.secs, g->out, g->log);
	return g->c.exit_code;
}

int nb_guest_run(const struct nb_guest_opts *o)
{
	struct grun *g = calloc(1, sizeof(*g));
	if (!g) {
		nb_err("guest: out of memory");
		return NB_EXIT_ENV;
	}
	g->o = *o;
	guest_arch_set(o->arm64, o->icount);
	int rc = prepare(g);
	if (rc < 0)
		rc = boot(g);
	if (rc < 0)
		rc = finish(g);
	chan_free(&g->c);
	if (g->work[0] && g->o.keep)
		fprintf(stderr, "numabench: guest: work folder kept: %s\n", g->work);
	else if (g->work[0])
		rm_rf(g->work);
	free(g);
	return rc;
}
