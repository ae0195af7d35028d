/* numabench counters: the values of a set, as JSON and by name, and the multiplexing verdict.
 * Counts are never scaled. */
#include "counters_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool usable(const struct counter *k)
{
	return k->fd >= 0 && k->read_ok && !k->err;
}

static uint64_t val(const struct counter *k)
{
	return k->cur_val - k->base_val;
}

static uint64_t ena(const struct counter *k)
{
	return k->cur_ena - k->base_ena;
}

static uint64_t run(const struct counter *k)
{
	return k->cur_run - k->base_run;
}

static void json_unavailable(json_t *o, const struct counter *k)
{
	const char *name = k->err ? strerrorname_np(k->err) : NULL;
	json_object_set_new(o, "reason",
			    json_string(k->reason[0] ? k->reason
					: k->fd >= 0 ? "not read yet"
						     : "not opened"));
	if (name)
		json_object_set_new(o, "errno", json_string(name));
}

static json_t *counter_json(const struct nb_counters *c, const struct counter *k)
{
	bool ok = usable(k);
	json_t *o = json_object();
	json_object_set_new(o, "event", json_string(k->event));
	json_object_set_new(o, "kind", json_string(kind_names[k->kind]));
	json_object_set_new(o, "encoding", k->encoded ? json_string(k->encoding) : json_null());
	json_object_set_new(o, "available", json_boolean(ok));
	json_object_set_new(o, "value", ok ? json_integer((json_int_t)val(k)) : json_null());
	json_object_set_new(o, "time_enabled", json_integer(ok ? (json_int_t)ena(k) : 0));
	json_object_set_new(o, "time_running", json_integer(ok ? (json_int_t)run(k) : 0));
	json_object_set_new(o, "multiplexed", json_boolean(ok && run(k) < ena(k)));
	json_object_set_new(o, "running_fraction",
			    ok && ena(k) ? json_real((double)run(k) / (double)ena(k))
					 : json_null());
	if (k->role[0])
		json_object_set_new(o, "resolved_from", json_string(k->role));
	if (k->pmu[0])
		json_object_set_new(o, "pmu", json_string(k->pmu));
	if (k->tracefs[0])
		json_object_set_new(o, "tracefs", json_string(k->tracefs));
	if (k->fd >= 0 && k->leader >= 0)
		json_object_set_new(o, "group", json_string(c->v[k->leader].event));
	if (!ok)
		json_unavailable(o, k);
	return o;
}

json_t *nb_counters_json(const struct nb_counters *c)
{
	json_t *a = json_array();
	for (int i = 0; c && i < c->n; i++)
		json_array_append_new(a, counter_json(c, &c->v[i]));
	return a;
}

/* Whether name is an item of the comma list (NULL: every name is). */
static bool in_list(const char *list, const char *name)
{
	size_t len = strlen(name);
	for (const char *s = list; s && *s; s += strcspn(s, ","), s += *s == ',')
		if (strcspn(s, ",") == len && !strncmp(s, name, len))
			return true;
	return !list;
}

bool nb_counters_untrustworthy(const struct nb_counters *c, const char *events,
			       double min_running_ratio, char *why, size_t len)
{
	for (int i = 0; c && i < c->n; i++) {
		const struct counter *k = &c->v[i];
		if (!in_list(events, k->event) && !(k->role[0] && in_list(events, k->role)))
			continue;
		if (!usable(k) || !ena(k))
			continue;
		double ratio = (double)run(k) / (double)ena(k);
		if (ratio < min_running_ratio) {
			if (why && len)
				snprintf(
				    why, len,
				    "counter %s ran %.1f%% of its enabled time (multiplexed or not "
				    "schedulable; counts are not scaled)",
				    k->event, 100.0 * ratio);
			return true;
		}
	}
	return false;
}

int64_t nb_counters_value(const struct nb_counters *c, const char *event)
{
	for (int i = 0; c && event && i < c->n; i++) {
		const struct counter *k = &c->v[i];
		if (strcmp(k->event, event) && strcmp(k->role, event))
			continue;
		return usable(k) ? (int64_t)val(k) : -1;
	}
	return -1;
}

int nb_counters_count(const struct nb_counters *c)
{
	return c ? c->n : 0;
}

int nb_counters_available(const struct nb_counters *c)
{
	int n = 0;
	for (int i = 0; c && i < c->n; i++)
		n += c->v[i].fd >= 0;
	return n;
}
