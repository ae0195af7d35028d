/* numabench counters: a view, some events of the run's open set read over a shorter span (a
 * cell), so that a cross-check counts with the run's counters instead of opening a second
 * hardware group that would compete with them for the same counters. */
#include "counters_int.h"

#include <string.h>

static int find(const struct nb_counters *run, const char *name)
{
	for (int i = 0; i < run->n; i++)
		if (!strcmp(run->v[i].event, name) || !strcmp(run->v[i].role, name))
			return i;
	return -1;
}

struct nb_counters *nb_counters_view(struct nb_counters *run, const char *events, char *err,
				     size_t errlen)
{
	if (!run || run->parent) {
		snprintf(err, errlen, "a view needs a run's counter set");
		return NULL;
	}
	struct nb_counters *v = nb_counters_new(events, err, errlen);
	if (!v)
		return NULL;
	v->parent = run;
	for (int i = 0; i < v->n; i++) {
		struct counter *k = &v->v[i];
		k->src = find(run, k->role[0] ? k->role : k->event);
		if (k->src < 0)
			counter_unavailable(k, 0, "not in the run's counter set (see --events)");
	}
	return v;
}

/* Copy what the run's counters hold; the view never owns their descriptors. */
static void copy_run(struct nb_counters *v)
{
	for (int i = 0; i < v->n; i++) {
		struct counter *k = &v->v[i];
		if (k->src < 0)
			continue;
		const struct counter *s = &v->parent->v[k->src];
		k->fd = s->fd;
		k->leader = -1;
		k->read_ok = s->read_ok;
		k->cur_val = s->cur_val;
		k->cur_ena = s->cur_ena;
		k->cur_run = s->cur_run;
		k->err = s->err;
		memcpy(k->reason, s->reason, sizeof(k->reason));
	}
}

static int view_read(struct nb_counters *v)
{
	int r = read_all(v->parent);
	copy_run(v);
	return r;
}

static void view_start(struct nb_counters *v)
{
	view_read(v);
	for (int i = 0; i < v->n; i++) {
		struct counter *k = &v->v[i];
		k->base_val = k->cur_val;
		k->base_ena = k->cur_ena;
		k->base_run = k->cur_run;
	}
}

/* The run's set is perf.c's; a view reads it and copies. (Here, so that perf.c never needs the
 * views.) */
void nb_counters_start(struct nb_counters *c)
{
	if (c && c->parent)
		view_start(c);
	else if (c)
		perf_start(c);
}

void nb_counters_stop(struct nb_counters *c)
{
	if (c && c->parent)
		view_read(c);
	else if (c)
		perf_stop(c);
}

int nb_counters_read(struct nb_counters *c)
{
	return !c ? -1 : c->parent ? view_read(c) : read_all(c);
}
