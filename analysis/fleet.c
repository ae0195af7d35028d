/* numabench fleet: hosts grouped into hardware classes (cpu model, node/cpu shape, suite and
 * parameters); within a class each cell's reference is the median over hosts, and a host is
 * flagged where a cell is more than z robust spreads away or its configuration is not the
 * class's. */
#include "fleet.h"
#include "an_json.h"
#include "an_stats.h"
#include "analysis.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void fl_robust(const double *v, int n, double *med, double *spread)
{
	double *d = malloc(((size_t)n + 1) * sizeof(double));
	if (!d)
		abort();
	*med = an_median(v, n);
	for (int i = 0; i < n; i++)
		d[i] = fabs(v[i] - *med);
	/* 1.4826 * MAD estimates the standard deviation of normal data (Rousseeuw, Croux 1993) */
	*spread = n ? 1.4826 * an_median(d, n) : NAN;
	free(d);
}

static void add_cause(struct fl_host *h, const struct fl_cause *c)
{
	struct fl_cause *n = realloc(h->cause, (size_t)(h->ncause + 1) * sizeof(*n));
	if (!n)
		abort();
	h->cause = n;
	h->cause[h->ncause++] = *c;
}

/* Hosts by name and class (a name reused on other hardware is another host), each with its
 * files in time order. */
static void group_hosts(struct fleet *fl)
{
	struct an_names hn = {0}, cn = {0};
	for (int i = 0; i < fl->nf; i++) {
		char *id;
		int k;
		struct fl_host *h;
		if (asprintf(&id, "%s\n%s", fl->f[i].host, fl->f[i].cls) < 0)
			abort();
		k = an_names_add(&hn, id);
		free(id);
		if (k == fl->nh) {
			fl->h = realloc(fl->h, (size_t)(fl->nh + 1) * sizeof(*fl->h));
			if (!fl->h)
				abort();
			fl->h[fl->nh++] = (struct fl_host){.name = fl->f[i].host};
		}
		h = &fl->h[k];
		h->files = realloc(h->files, (size_t)(h->nfiles + 1) * sizeof(int));
		if (!h->files)
			abort();
		/* insertion by started (ISO 8601 UTC sorts as text), then path */
		int j = h->nfiles++;
		while (j > 0) {
			const struct fl_file *p = &fl->f[h->files[j - 1]], *f = &fl->f[i];
			int c = strcmp(p->started, f->started);
			if (c < 0 || (!c && strcmp(p->path, f->path) <= 0))
				break;
			h->files[j] = h->files[j - 1];
			j--;
		}
		h->files[j] = i;
	}
	for (int i = 0; i < fl->nh; i++) {
		struct fl_host *h = &fl->h[i];
		const struct fl_file *f;
		h->latest = h->files[h->nfiles - 1];
		f = &fl->f[h->latest];
		h->cls = an_names_add(&cn, f->cls);
		if (h->cls == fl->nc) {
			char *a = strdup(f->cls), *b, *c;
			fl->c = realloc(fl->c, (size_t)(fl->nc + 1) * sizeof(*fl->c));
			if (!fl->c || !a)
				abort();
			b = strchr(a, '\n');
			*b++ = 0;
			c = strchr(b, '\n');
			*c++ = 0;
			fl->c[fl->nc++] = (struct fl_class){
			    .key = f->cls, .cpu_model = a, .shape = b, .suite = c};
		}
		struct fl_class *c = &fl->c[h->cls];
		c->hosts = realloc(c->hosts, (size_t)(c->nhosts + 1) * sizeof(int));
		if (!c->hosts)
			abort();
		c->hosts[c->nhosts++] = i;
	}
	an_names_free(&hn);
	an_names_free(&cn);
}

static const char *cfg_value(const struct fl_file *f, int k)
{
	for (int i = 0; i < f->ncfg; i++)
		if (f->cfgk[i] == k)
			return f->cfgv[i];
	return "(absent)";
}

static void note(struct fl_class *c, const char *fmt, const char *arg)
{
	size_t n = strlen(c->notes);
	snprintf(c->notes + n, sizeof(c->notes) - n, fmt, n ? "; " : "", arg);
}

/* The class's value of each configuration field is the strict majority's; a host with
 * another is flagged. Without a majority the class says it disagrees and flags no one. */
static void judge_config(struct fleet *fl, struct fl_class *c)
{
	for (int k = 0; k < fl->cfg.n; k++) {
		int best = -1, bestn = 0;
		bool differ = false;
		for (int i = 0; i < c->nhosts; i++) {
			const char *v = cfg_value(&fl->f[fl->h[c->hosts[i]].latest], k);
			int n = 0;
			for (int j = 0; j < c->nhosts; j++)
				n += !strcmp(v, cfg_value(&fl->f[fl->h[c->hosts[j]].latest], k));
			differ |= n < c->nhosts;
			if (n > bestn)
				best = i, bestn = n;
		}
		if (!differ)
			continue;
		if (2 * bestn <= c->nhosts) {
			note(c, "%sno majority on %s", fl->cfg.v[k]);
			continue;
		}
		const char *ref = cfg_value(&fl->f[fl->h[c->hosts[best]].latest], k);
		for (int i = 0; i < c->nhosts; i++) {
			struct fl_host *h = &fl->h[c->hosts[i]];
			const char *v = cfg_value(&fl->f[h->latest], k);
			struct fl_cause ca = {.config = true, .dev = NAN, .z = NAN};
			if (!strcmp(v, ref))
				continue;
			an_fmt(ca.what, sizeof(ca.what), "%s", fl->cfg.v[k]);
			an_fmt(ca.value, sizeof(ca.value), "%s", v);
			an_fmt(ca.ref, sizeof(ca.ref), "%s", ref);
			an_fmt(ca.text, sizeof(ca.text), "%s %s vs %s (host %s)", fl->cfg.v[k], v,
			       ref, h->name);
			add_cause(h, &ca);
		}
	}
}

static void fmt_bytes(double b, char *buf, size_t len)
{
	static const char *const u[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
	int i = 0;
	while (fabs(b) >= 1024 && i < 5)
		b /= 1024, i++;
	snprintf(buf, len, "%.4g %s", b, u[i]);
}

/* Memory per node against the class median of that node, within FL_MEM_TOL. */
static void judge_memory(struct fleet *fl, struct fl_class *c)
{
	int nn = fl->f[fl->h[c->hosts[0]].latest].nnodes;
	double *v = malloc(((size_t)c->nhosts + 1) * sizeof(double));
	if (!v)
		abort();
	for (int node = 0; node < nn; node++) {
		double med, sp;
		int n = 0;
		/* the median of the hosts that say (a file without memory_bytes is not 0 B) */
		for (int i = 0; i < c->nhosts; i++)
			if (isfinite(fl->f[fl->h[c->hosts[i]].latest].mem[node]))
				v[n++] = fl->f[fl->h[c->hosts[i]].latest].mem[node];
		fl_robust(v, n, &med, &sp);
		for (int i = 0; i < c->nhosts; i++)
			v[i] = fl->f[fl->h[c->hosts[i]].latest].mem[node];
		for (int i = 0; i < c->nhosts && isfinite(med) && med > 0; i++) {
			struct fl_host *h = &fl->h[c->hosts[i]];
			struct fl_cause ca = {.config = true,
					      .dev = (v[i] - med) / med,
					      .z = NAN,
					      .host_v = v[i],
					      .class_v = med};
			if (!(fabs(ca.dev) > FL_MEM_TOL))
				continue;
			an_fmt(ca.what, sizeof(ca.what), "node %d memory", node);
			fmt_bytes(v[i], ca.value, sizeof(ca.value));
			fmt_bytes(med, ca.ref, sizeof(ca.ref));
			an_fmt(ca.text, sizeof(ca.text), "node %d memory %s vs %s (host %s)", node,
			       ca.value, ca.ref, h->name);
			add_cause(h, &ca);
		}
	}
	free(v);
}

/* Per host and group (metric + node) of a class: what the heatmap and the causes need. */
struct gacc {
	int cnt, of;
	double wz, wdev, wv, wref; /* the worst cell beyond the threshold */
	int wkey;
	double *dev;
};

static void group_name(const struct fleet *fl, const struct fl_cell *x, char *buf, size_t len)
{
	if (x->node >= 0)
		an_fmt(buf, len, "node %d %s", x->node, fl->key_metric[x->key]);
	else
		an_fmt(buf, len, "%s", fl->key_metric[x->key]);
}

static void cell_z(struct fleet *fl, struct fl_class *c, int key, int **idx, struct gacc **acc)
{
	double *v = malloc(((size_t)c->nhosts + 1) * sizeof(double)), med, sp;
	int n = 0, g = -1;
	char gname[300];
	if (!v)
		abort();
	for (int i = 0; i < c->nhosts; i++)
		if (idx[i][key] >= 0)
			v[n++] = fl->f[fl->h[c->hosts[i]].latest].c[idx[i][key]].med;
	if (n < FL_MIN_HOSTS) {
		free(v);
		return;
	}
	fl_robust(v, n, &med, &sp);
	sp = fmax(sp, FL_SPREAD_FLOOR * fabs(med));
	for (int i = 0; i < c->nhosts; i++) {
		const struct fl_cell *x;
		struct gacc *a;
		double z, dev;
		if (idx[i][key] < 0)
			continue;
		x = &fl->f[fl->h[c->hosts[i]].latest].c[idx[i][key]];
		if (g < 0) {
			int before = c->groups.n;
			group_name(fl, x, gname, sizeof(gname));
			g = an_names_add(&c->groups, gname);
			for (int j = 0; j < c->nhosts && c->groups.n > before; j++) {
				acc[j] = realloc(acc[j], (size_t)c->groups.n * sizeof(**acc));
				if (!acc[j])
					abort();
				acc[j][g] = (struct gacc){.wz = 0};
			}
		}
		a = &acc[i][g];
		z = sp > 0 ? (x->med - med) / sp : 0;
		dev = med ? (x->med - med) / fabs(med) : NAN;
		a->dev = realloc(a->dev, (size_t)(a->of + 1) * sizeof(double));
		if (!a->dev)
			abort();
		a->dev[a->of++] = dev;
		if (fabs(z) > fl->z && fabs(dev) * 100 > fl->pct) {
			a->cnt++;
			if (fabs(z) > fabs(a->wz))
				*a = (struct gacc){a->cnt, a->of, z, dev, x->med, med, key, a->dev};
		}
	}
	free(v);
}

static void metric_cause(const struct fleet *fl, struct fl_host *h, const char *group,
			 const struct gacc *a)
{
	struct fl_cause ca = {.dev = a->wdev,
			      .z = a->wz,
			      .host_v = a->wv,
			      .class_v = a->wref,
			      .cells = a->cnt,
			      .of = a->of};
	char hv[64], cv[64];
	an_fmt(ca.what, sizeof(ca.what), "%s", group);
	an_fmt(ca.cell, sizeof(ca.cell), "%s", fl->keys.v[a->wkey]);
	an_fmt_num(a->wv, hv, sizeof(hv));
	an_fmt_num(a->wref, cv, sizeof(cv));
	an_fmt(ca.value, sizeof(ca.value), "%s", hv);
	an_fmt(ca.ref, sizeof(ca.ref), "%s", cv);
	an_fmt(ca.text, sizeof(ca.text),
	       "%s %.0f%% %s class median (host %s): %d of %d cells beyond |z| %.4g and %.4g%%; "
	       "worst %s: %s vs %s %s (z %.1f)",
	       group, fabs(a->wdev) * 100, a->wdev < 0 ? "below" : "above", h->name, a->cnt, a->of,
	       fl->z, fl->pct, fl->keys.v[a->wkey], hv, cv, fl->key_unit[a->wkey], a->wz);
	add_cause(h, &ca);
}

static void judge_metrics(struct fleet *fl, struct fl_class *c)
{
	int **idx = calloc((size_t)c->nhosts, sizeof(int *));
	struct gacc **acc = calloc((size_t)c->nhosts, sizeof(struct gacc *));
	if (!idx || !acc)
		abort();
	for (int i = 0; i < c->nhosts; i++) {
		const struct fl_file *f = &fl->f[fl->h[c->hosts[i]].latest];
		if (!(idx[i] = malloc(((size_t)fl->keys.n + 1) * sizeof(int))))
			abort();
		for (int k = 0; k < fl->keys.n; k++)
			idx[i][k] = -1;
		for (int j = 0; j < f->nc; j++)
			idx[i][f->c[j].key] = j;
	}
	for (int k = 0; k < fl->keys.n; k++)
		cell_z(fl, c, k, idx, acc);
	for (int i = 0; i < c->nhosts; i++) {
		struct fl_host *h = &fl->h[c->hosts[i]];
		h->gdev = calloc((size_t)c->groups.n + 1, sizeof(double));
		if (!h->gdev)
			abort();
		for (int g = 0; g < c->groups.n; g++) {
			struct gacc *a = &acc[i][g];
			h->gdev[g] = a->of ? an_median(a->dev, a->of) : NAN;
			/* A fault of a node shows in most of its cells; one cell of many beyond
			 * the threshold is more likely noise of that cell. */
			if (a->cnt && 2 * a->cnt >= a->of)
				metric_cause(fl, h, c->groups.v[g], a);
			free(a->dev);
		}
		free(acc[i]);
		free(idx[i]);
	}
	free(acc);
	free(idx);
}

/* Consecutive runs of a host in one class, cell by cell: changes compare calls significant
 * (Mann-Whitney U and the bootstrap CI of the change) and beyond fl->pct percent. */
static void trends(struct fleet *fl, const struct fl_host *h)
{
	for (int r = 1; r < h->nfiles; r++) {
		const struct fl_file *a = &fl->f[h->files[r - 1]], *b = &fl->f[h->files[r]];
		if (strcmp(a->cls, b->cls))
			continue;
		for (int i = 0; i < b->nc; i++) {
			const struct fl_cell *y = &b->c[i], *x = NULL;
			struct an_cmp cmp;
			struct fl_trend *t;
			for (int j = 0; j < a->nc && !x; j++)
				if (a->c[j].key == y->key)
					x = &a->c[j];
			if (!x || !x->ns || !y->ns)
				continue;
			/* within the threshold already: no need of the bootstrap */
			double ma = an_median(x->s, x->ns), mb = an_median(y->s, y->ns);
			if (!(fabs(mb - ma) * 100 > fl->pct * fabs(ma)))
				continue;
			an_compare(x->s, x->ns, y->s, y->ns, y->dir, &cmp);
			if (cmp.verdict == AN_V_NA || cmp.verdict == AN_V_SAME ||
			    !(fabs(cmp.change) * 100 > fl->pct))
				continue;
			fl->t = realloc(fl->t, (size_t)(fl->nt + 1) * sizeof(*fl->t));
			if (!fl->t)
				abort();
			t = &fl->t[fl->nt++];
			*t = (struct fl_trend){.a = cmp.med_a,
					       .b = cmp.med_b,
					       .change = cmp.change,
					       .lo = cmp.lo,
					       .hi = cmp.hi,
					       .p = cmp.p,
					       .verdict = an_verdict_name(cmp.verdict)};
			an_fmt(t->host, sizeof(t->host), "%s", h->name);
			an_fmt(t->from, sizeof(t->from), "%s", a->started);
			an_fmt(t->to, sizeof(t->to), "%s", b->started);
			an_fmt(t->cell, sizeof(t->cell), "%s", fl->keys.v[y->key]);
			an_fmt(t->unit, sizeof(t->unit), "%s", fl->key_unit[y->key]);
		}
	}
}

void fl_judge(struct fleet *fl)
{
	group_hosts(fl);
	for (int i = 0; i < fl->nc; i++) {
		struct fl_class *c = &fl->c[i];
		if (c->nhosts < 2) {
			note(c, "%sthe only host of its class: %s", "nothing to compare it with");
			continue;
		}
		judge_config(fl, c);
		judge_memory(fl, c);
		if (c->nhosts < FL_MIN_HOSTS)
			note(c, "%s%s", "fewer than 3 hosts: no per-cell z-scores");
		judge_metrics(fl, c);
	}
	for (int i = 0; i < fl->nh; i++)
		trends(fl, &fl->h[i]);
}

void fl_free(struct fleet *fl)
{
	for (int i = 0; i < fl->nf; i++) {
		struct fl_file *f = &fl->f[i];
		for (int j = 0; j < f->ncfg; j++)
			free(f->cfgv[j]);
		for (int j = 0; j < f->nc; j++)
			free(f->c[j].s);
		free(f->cfgk), free(f->cfgv), free(f->c), free(f->mem);
		free(f->path), free(f->host), free(f->started), free(f->cls);
	}
	for (int i = 0; i < fl->nskip; i++)
		free(fl->skip[i].path), free(fl->skip[i].reason);
	for (int i = 0; i < fl->nh; i++)
		free(fl->h[i].files), free(fl->h[i].cause), free(fl->h[i].gdev);
	for (int i = 0; i < fl->nc; i++) {
		free(fl->c[i].cpu_model), free(fl->c[i].hosts);
		an_names_free(&fl->c[i].groups);
	}
	for (int k = 0; k < fl->nkeys_meta; k++)
		free(fl->key_metric[k]), free(fl->key_unit[k]);
	free(fl->key_metric), free(fl->key_unit);
	an_names_free(&fl->keys);
	an_names_free(&fl->cfg);
	free(fl->f), free(fl->skip), free(fl->h), free(fl->c), free(fl->t);
}

int an_run_fleet(const struct an_fleet_opts *o)
{
	struct fleet fl = {.z = isnan(o->z) ? FL_Z_DEFAULT : o->z,
			   .pct = isnan(o->pct) ? FL_PCT_DEFAULT : o->pct};
	enum an_fmt fmt = o->fmt;
	const char *out = o->out, *nc = getenv("NO_COLOR");
	struct an_doc d;
	int rc;
	fl_read_all(&fl, o->paths, o->npaths);
	fl_judge(&fl);
	if (an_doc_open(&d, fmt, fmt == AN_TEXT && !out && isatty(1) && !(nc && *nc),
			"numabench fleet")) {
		nb_err("fleet: out of memory");
		fl_free(&fl);
		return NB_EXIT_ENV;
	}
	fl_render(&d, &fl);
	rc = an_doc_close(&d, out);
	fl_free(&fl);
	return rc;
}
