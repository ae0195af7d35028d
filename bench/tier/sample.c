/* numabench bench `tier`: what the parent reads of a trial. Owns the sampled pages of each set
 * (move_pages(2) in query mode, nodes == NULL: a page-table lookup that never takes a NUMA
 * hinting fault), their per-page history (rules.c) and moves off the node they were placed on
 * (the evidence the controls are judged by), the per-node JSON of a sample, and the
 * tiering fields of /proc/vmstat (harness/sampler.h) written as deltas, null when absent. */
#include "tier/tier.h"

#include <math.h>
#include <numaif.h>
#include <stdio.h>
#include <unistd.h>

void tier_set_init(struct set *s, char *p, size_t len, int start, int fast)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	s->p = p;
	s->len = len;
	s->start = start;
	s->fast = fast;
	s->total_pages = len / page;
	s->npages = s->total_pages < MAX_SAMPLE_PAGES ? (int)s->total_pages : MAX_SAMPLE_PAGES;
	for (int i = 0; i < s->npages; i++) {
		s->addr[i] = p + (size_t)((double)i * (double)s->total_pages / s->npages) * page;
		nb_tier_page_init(&s->page[i]);
	}
}

/* Query; per_node[node] += pages, returns the pages on the fast tier (sampled), -1 on error. */
int tier_set_query(const struct tier *t, pid_t pid, struct set *s, int per_node[NB_MAX_NODE_ID],
		   int *present)
{
	if (move_pages(pid, (unsigned long)s->npages, s->addr, NULL, s->status, 0))
		return -1;
	int fast = 0;
	*present = 0;
	for (int i = 0; i < s->npages; i++) {
		int n = s->status[i];
		if (n < 0 || n >= NB_MAX_NODE_ID)
			continue;
		(*present)++;
		per_node[n]++;
		fast += nb_tier_page_seen(&s->page[i], n, t->in_fast);
		nb_tier_page_moved(&s->page[i], n, s->start, s->fast);
	}
	return fast;
}

/* Sampled pages promoted (wasted: promoted, then back on a lower tier). */
int tier_set_count(const struct set *s, bool wasted)
{
	int c = 0;
	for (int i = 0; i < s->npages; i++)
		c += wasted ? s->page[i].wasted : s->page[i].promoted;
	return c;
}

/* The set's own moves over the trial (sampled pages): present at some sample, seen off the
 * node it was placed on, and of those on a node other than the fast node. */
json_t *tier_set_moves_json(const struct set *s, int *present, int *moved, int *elsewhere)
{
	*present = *moved = *elsewhere = 0;
	for (int i = 0; i < s->npages; i++) {
		*present += s->page[i].first >= 0;
		*moved += s->page[i].moved;
		*elsewhere += s->page[i].elsewhere;
	}
	return json_pack("{s:i,s:i,s:i,s:i,s:i}", "start_node", s->start, "sampled", s->npages,
			 "present", *present, "moved", *moved, "moved_elsewhere", *elsewhere);
}

json_t *tier_nodes_json(const struct tier *t, const int per_node[NB_MAX_NODE_ID])
{
	json_t *o = json_object();
	for (int i = 0; i < t->nmem; i++) {
		char k[16];
		snprintf(k, sizeof(k), "%d", t->mem[i]);
		json_object_set_new(o, k, json_integer(per_node[t->mem[i]]));
	}
	return o;
}

json_t *tier_jreal(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

/* The fields of cell["vmstat"], in this order; a field the kernel lacks is null there and in
 * *missing (nb_vmstat_json would leave it out). */
static const enum nb_vmstat_field vm_fields[] = {
    NB_VM_pgpromote_success, NB_VM_pgpromote_candidate, NB_VM_pgdemote_kswapd,
    NB_VM_pgdemote_direct,   NB_VM_pgdemote_khugepaged, NB_VM_numa_pages_migrated,
    NB_VM_numa_hint_faults,  NB_VM_numa_pte_updates,	NB_VM_pgmigrate_success,
    NB_VM_pgmigrate_fail};

json_t *tier_vmstat_json(const struct nb_vmstat *d, json_t **missing)
{
	json_t *o = json_object();
	for (size_t i = 0; i < sizeof(vm_fields) / sizeof(vm_fields[0]); i++) {
		const char *name = nb_vmstat_names[vm_fields[i]];
		int64_t v = d->v[vm_fields[i]];
		json_object_set_new(o, name, nb_json_count(v));
		if (v < 0 && missing) {
			if (!*missing)
				*missing = json_object();
			json_object_set_new(*missing, name,
					    json_string("absent from /proc/vmstat on this kernel"));
		}
	}
	return o;
}
