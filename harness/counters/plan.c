/* numabench counters: the groups a set would be opened in, without opening anything (for a
 * run's plan and for the events listing), and the PMU description as JSON. */
#include "counters_int.h"

#include <stdlib.h>

static const char *const need_names[] = {
    [NB_NEED_GENERAL] = "general",    [NB_NEED_CYCLES] = "cycles",
    [NB_NEED_INSTR] = "instructions", [NB_NEED_REF] = "ref-cycles",
    [NB_NEED_SOFTWARE] = "software",  [NB_NEED_TRACEPOINT] = "tracepoint",
};

json_t *pmu_json(const struct nb_pmu *p)
{
	json_t *f = json_array();
	for (int n = NB_NEED_CYCLES; n <= NB_NEED_REF; n++)
		if (p->fixed & NB_FIXED(n))
			json_array_append_new(f, json_string(need_names[n]));
	return json_pack("{s:s,s:b,s:i,s:o,s:b,s:i,s:s}", "name", p->name, "known", p->known,
			 "general_counters", p->general, "fixed_counters", f, "nmi_watchdog",
			 p->nmi_watchdog, "free_general", nb_pmu_free_general(p), "source",
			 p->source);
}

struct nb_grouping group_set(const struct nb_counters *c, const struct nb_pmu *pmu,
			     const bool *usable, int *group, enum nb_need *need)
{
	int n = c ? c->n : 0, m = 0;
	enum nb_need *sub = calloc((size_t)n + 1, sizeof(*sub));
	int *g = calloc((size_t)n + 1, sizeof(*g)), *at = calloc((size_t)n + 1, sizeof(*at));
	if (!sub || !g || !at) {
		nb_err("out of memory for counters");
		exit(NB_EXIT_ENV);
	}
	for (int i = 0; i < n; i++) {
		group[i] = NB_LEFT_OUT;
		need[i] = nb_pmu_need(pmu, &c->v[i].attr);
		if (c->v[i].encoded && (!usable || usable[i])) {
			sub[m] = need[i];
			at[m++] = i;
		}
	}
	struct nb_grouping r = nb_pmu_group(pmu, sub, m, c && c->rotate, g);
	for (int j = 0; j < m; j++)
		group[at[j]] = g[j];
	free(sub);
	free(g);
	free(at);
	return r;
}

json_t *nb_counters_plan(const struct nb_counters *c, const struct nb_pmu *pmu)
{
	struct nb_pmu here;
	if (!pmu) {
		nb_pmu_detect(&here);
		pmu = &here;
	}
	int n = c ? c->n : 0;
	enum nb_need *need = calloc((size_t)n + 1, sizeof(*need));
	int *group = calloc((size_t)n + 1, sizeof(*group));
	if (!need || !group) {
		nb_err("out of memory for counters");
		exit(NB_EXIT_ENV);
	}
	struct nb_grouping g = group_set(c, pmu, NULL, group, need);
	json_t *ev = json_array();
	for (int i = 0; i < n; i++) {
		const struct counter *k = &c->v[i];
		bool in = group[i] != NB_LEFT_OUT;
		json_t *o = json_pack("{s:s,s:s}", "event", k->event, "kind", kind_names[k->kind]);
		json_object_set_new(o, "needs",
				    in ? json_string(need_names[need[i]]) : json_null());
		json_object_set_new(o, "group",
				    group[i] >= 0 ? json_integer(group[i]) : json_null());
		if (!in)
			json_object_set_new(o, "reason", json_string("not encodable here"));
		else if (group[i] == NB_NOT_SCHEDULED)
			json_object_set_new(o, "reason", json_string("not scheduled"));
		json_array_append_new(ev, o);
	}
	free(need);
	free(group);
	return json_pack("{s:o,s:b,s:i,s:i,s:i,s:i,s:o}", "pmu", pmu_json(pmu), "rotate",
			 c && c->rotate, "groups", g.ngroups, "hw_need", g.hw_need, "free_general",
			 g.free_gen, "not_scheduled", g.dropped, "events", ev);
}
