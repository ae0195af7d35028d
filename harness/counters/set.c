/* numabench counters: building the set from an event list (roles, "default", libpfm4 names,
 * software events, tracepoints), keeping known-but-unusable events as unavailable. */
#include "counters_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <ctype.h>

/* A new counter; a few hundred bytes each, so running out of memory here ends the run. */
static struct counter *add(struct nb_counters *c, const char *event, enum kind kind)
{
	if (c->n == c->cap) {
		int cap = c->cap ? 2 * c->cap : 32;
		struct counter *v = realloc(c->v, (size_t)cap * sizeof(*v));
		if (!v) {
			nb_err("out of memory for counters");
			exit(NB_EXIT_ENV);
		}
		c->v = v;
		c->cap = cap;
	}
	struct counter *k = &c->v[c->n++];
	memset(k, 0, sizeof(*k));
	snprintf(k->event, sizeof(k->event), "%s", event);
	k->kind = kind;
	k->fd = -1;
	k->leader = -1;
	k->src = -1;
	return k;
}

static bool have(const struct nb_counters *c, const char *event)
{
	for (int i = 0; i < c->n; i++)
		if (!strcmp(c->v[i].event, event) || !strcmp(c->v[i].role, event))
			return true;
	return false;
}

static struct tracefs *parse_tracefs(struct parse *p)
{
	if (!p->tfs_open) {
		tracefs_open(&p->tfs);
		p->tfs_open = true;
	}
	return &p->tfs;
}

/* Tracepoint with a resolved id; false when tracefs has no such event. */
static bool add_tp_id(struct parse *p, const char *name)
{
	struct tracefs *t = parse_tracefs(p);
	long id = t->ok ? tracefs_id(t, name) : -1;
	if (id < 0)
		return false;
	struct counter *k = add(p->c, name, K_TP);
	k->attr.type = PERF_TYPE_TRACEPOINT;
	k->attr.config = (uint64_t)id;
	/* exclude_kernel would drop every hit: tracepoints fire in kernel mode
	 * (kernel/events/core.c perf_tp_event_match). */
	k->attr.exclude_kernel = 0;
	snprintf(k->encoding, sizeof(k->encoding), "tracepoint %s id=%ld", name, id);
	snprintf(k->tracefs, sizeof(k->tracefs), "%s", t->shown);
	k->encoded = true;
	return true;
}

/* A tracepoint we cannot resolve: listed unavailable if tracefs is unusable or it is one of
 * the known NUMA tracepoints; an error otherwise. */
static int add_tp_missing(struct parse *p, const char *name)
{
	struct tracefs *t = parse_tracefs(p);
	int known = known_tp(name);
	if (t->ok && known < 0) {
		snprintf(
		    p->err, p->errlen,
		    "unknown tracepoint '%s': tracefs has no such event (see numabench events)",
		    name);
		return -1;
	}
	struct counter *k = add(p->c, name, K_TP);
	if (!t->ok)
		counter_unavailable(k, t->err, "%s", t->reason);
	else if (numa_tps[known].since)
		counter_unavailable(k, ENOENT, "tracepoint not in this kernel (added in %s)",
				    numa_tps[known].since);
	else
		counter_unavailable(k, ENOENT, "tracepoint not in this kernel");
	return 0;
}

static int bad_name(struct parse *p, const char *name, int r)
{
	if (r == PFM_ERR_NOTFOUND)
		snprintf(p->err, p->errlen,
			 "unknown event '%s': not a libpfm4, software or tracepoint event (see "
			 "numabench events)",
			 name);
	else
		snprintf(p->err, p->errlen, "bad event '%s': %s (see numabench events)", name,
			 pfm_strerror(r));
	return -1;
}

/* A hardware event of a CPU other than this one: kept, unavailable, so that one --events
 * list serves every host of a comparison. */
static bool add_other_cpu(struct parse *p, const char *name)
{
	char pmu[48], desc[96];
	if (!pfm_find_inactive(name, pmu, sizeof(pmu), desc, sizeof(desc)))
		return false;
	struct counter *k = add(p->c, name, K_HW);
	bool hw = hw_pmu_present();
	snprintf(k->pmu, sizeof(k->pmu), "%s", pmu);
	counter_unavailable(k, ENOENT,
			    "libpfm4 knows it for PMU %s (%s), which is not present here%s%s", pmu,
			    desc, hw ? "" : ": ", hw ? "" : no_pmu_reason());
	return true;
}

/* A name that is neither a tracepoint in tracefs nor encodable by the active PMUs. */
static int add_unencodable(struct parse *p, const char *name, int r)
{
	bool notfound = r == PFM_ERR_NOTFOUND || !pfm_ready();
	/* Not found here, or found with a unit mask this PMU's event lacks (an Ice Lake client's
	 * MEM_LOAD_L3_MISS_RETIRED has no REMOTE_DRAM, a server's has): another CPU's name. */
	if ((r == PFM_ERR_NOTFOUND || r == PFM_ERR_ATTR || r == PFM_ERR_UMASK) &&
	    add_other_cpu(p, name))
		return 0;
	if (notfound && tp_syntax(name))
		return add_tp_missing(p, name);
	if (!pfm_ready()) {
		snprintf(p->err, p->errlen, "event '%s': libpfm4 failed to initialize: %s", name,
			 pfm_strerror(pfm_state));
		return -1;
	}
	return bad_name(p, name, r);
}

/* One event by name (not a role or "default"). */
int add_named(struct parse *p, const char *name)
{
	struct counter tmp;
	if (have(p->c, name))
		return 0;
	if (tp_syntax(name) && add_tp_id(p, name))
		return 0;
	memset(&tmp, 0, sizeof(tmp));
	int r = pfm_encode(&tmp, name);
	if (r != PFM_SUCCESS && sw_encode(&tmp, name))
		r = PFM_SUCCESS;
	if (r != PFM_SUCCESS)
		return add_unencodable(p, name, r);
	struct counter *k = add(p->c, name, tmp.kind);
	tmp.fd = tmp.leader = tmp.src = -1;
	snprintf(tmp.event, sizeof(tmp.event), "%s", name);
	*k = tmp;
	return 0;
}

/* A default role: the model's event, else the generic one, recording what it resolved to. */
static void add_role(struct parse *p, int role)
{
	struct counter tmp;
	const char *core = pfm_core_pmu();
	const struct model *m = model_for(core);
	const char *cand[3] = {m ? m->ev[role] : NULL, generic_ev[role], NULL};
	if (core && role <= R_INSTR && strncmp(core, "arm", 3))
		cand[2] = (!strncmp(core, "amd64", 5) ? amd_core_ev : intel_core_ev)[role];
	if (have(p->c, role_names[role]))
		return;
	for (int i = 0; i < 3; i++) {
		memset(&tmp, 0, sizeof(tmp));
		if (!cand[i] || pfm_encode(&tmp, cand[i]) != PFM_SUCCESS)
			continue;
		if (have(p->c, cand[i]))
			return;
		struct counter *k = add(p->c, cand[i], tmp.kind);
		snprintf(tmp.event, sizeof(tmp.event), "%s", cand[i]);
		if (strcmp(cand[i], role_names[role]))
			snprintf(tmp.role, sizeof(tmp.role), "%s", role_names[role]);
		tmp.fd = tmp.leader = tmp.src = -1;
		*k = tmp;
		return;
	}
	struct counter *k = add(p->c, role_names[role], K_HW);
	if (!core)
		counter_unavailable(k, ENOENT, "%s",
				    hw_pmu_present() ? "libpfm4 does not know this CPU's PMU"
						     : no_pmu_reason());
	else
		counter_unavailable(k, ENOENT, "no %s event known for PMU %s", role_names[role],
				    core);
}

static int role_index(const char *name)
{
	for (int r = 0; r < R_N; r++)
		if (!strcmp(name, role_names[r]))
			return r;
	return -1;
}

static void add_defaults(struct parse *p)
{
	for (int r = 0; r < R_N; r++)
		add_role(p, r);
	for (size_t i = 0; i < N_SW; i++)
		add_named(p, sw_events[i].name);
	for (size_t i = 0; i < N_TP; i++)
		if (!have(p->c, numa_tps[i].name) && !add_tp_id(p, numa_tps[i].name))
			add_tp_missing(p, numa_tps[i].name);
}

static int add_token(struct parse *p, const char *name)
{
	int role = role_index(name);
	if (!strcmp(name, "default"))
		add_defaults(p);
	else if (role >= 0)
		add_role(p, role);
	else
		return add_named(p, name);
	return 0;
}

/* Split on commas, trimming blanks; empty items are errors. */
static int parse_list(struct parse *p, const char *events)
{
	const char *s = events;
	for (;;) {
		char name[128];
		size_t len = strcspn(s, ",");
		const char *a = s, *b = s + len;
		while (a < b && isspace((unsigned char)*a))
			a++;
		while (b > a && isspace((unsigned char)b[-1]))
			b--;
		if (a == b || (size_t)(b - a) >= sizeof(name)) {
			snprintf(p->err, p->errlen, "%s in event list '%s' (see numabench events)",
				 a == b ? "empty event name" : "event name too long", events);
			return -1;
		}
		snprintf(name, sizeof(name), "%.*s", (int)(b - a), a);
		if (add_token(p, name))
			return -1;
		if (!s[len])
			return 0;
		s += len + 1;
	}
}

struct nb_counters *nb_counters_new(const char *events, char *err, size_t errlen)
{
	char dummy[8];
	struct parse p = {.err = err ? err : dummy, .errlen = err ? errlen : sizeof(dummy)};
	p.err[0] = 0;
	p.c = calloc(1, sizeof(*p.c));
	if (!p.c) {
		snprintf(p.err, p.errlen, "out of memory");
		return NULL;
	}
	int r = 0;
	/* The default set is never rotated; a list the user wrote may ask for more. */
	p.c->rotate = events && *events && strcmp(events, "default");
	if (!p.c->rotate)
		add_defaults(&p);
	else
		r = parse_list(&p, events);
	if (p.tfs_open)
		tracefs_close(&p.tfs);
	if (r) {
		nb_counters_free(p.c);
		return NULL;
	}
	return p.c;
}
