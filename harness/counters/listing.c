/* numabench counters: the `events` listing (what can be counted here and why not), as JSON
 * (schema numabench.events/1) and as text. The command line is cli/cmd_events.c. */
#include "counters_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Unit masks of libpfm4 event "pmu::EVENT" (attributes after the event are ignored). */
static json_t *pfm_umasks(const char *name)
{
	char ev[160];
	pfm_event_info_t ei;
	pfm_event_attr_info_t ai;
	json_t *a = json_array();
	const char *sep = strstr(name, "::");
	const char *rest = sep ? sep + 2 : name;
	snprintf(ev, sizeof(ev), "%.*s", (int)(rest - name + strcspn(rest, ":")), name);
	int idx = pfm_ready() ? pfm_find_event(ev) : -1;
	memset(&ei, 0, sizeof(ei));
	ei.size = sizeof(ei);
	if (idx < 0 || pfm_get_event_info(idx, PFM_OS_NONE, &ei) != PFM_SUCCESS)
		return a;
	for (int i = 0; i < ei.nattrs; i++) {
		memset(&ai, 0, sizeof(ai));
		ai.size = sizeof(ai);
		if (pfm_get_event_attr_info(idx, i, PFM_OS_NONE, &ai) == PFM_SUCCESS &&
		    ai.type == PFM_ATTR_UMASK)
			json_array_append_new(a, json_string(ai.name));
	}
	return a;
}

/* Every event of the active core and OS-generic PMUs (uncore PMUs need system-wide counting
 * and are left out), appended to the set as "pmu::EVENT". */
static void add_all_pmu_events(struct nb_counters *c)
{
	char err[256], name[160];
	pfm_pmu_info_t pi;
	pfm_event_info_t ei;
	int i;
	struct parse p = {.c = c, .err = err, .errlen = sizeof(err)};
	if (!pfm_ready())
		return;
	pfm_for_all_pmus(i)
	{
		memset(&pi, 0, sizeof(pi));
		pi.size = sizeof(pi);
		if (pfm_get_pmu_info(i, &pi) != PFM_SUCCESS || !pi.is_present ||
		    (pi.type != PFM_PMU_TYPE_CORE && pi.type != PFM_PMU_TYPE_OS_GENERIC) ||
		    !strcmp(pi.name, "perf_raw"))
			continue;
		for (int e = pi.first_event; e != -1; e = pfm_get_event_next(e)) {
			memset(&ei, 0, sizeof(ei));
			ei.size = sizeof(ei);
			if (pfm_get_event_info(e, PFM_OS_NONE, &ei) != PFM_SUCCESS)
				continue;
			snprintf(name, sizeof(name), "%s::%s", pi.name, ei.name);
			if (add_named(&p, name) == 0)
				continue;
			/* No default unit mask: list it with its first one. */
			json_t *um = pfm_umasks(name);
			if (json_array_size(um)) {
				snprintf(name, sizeof(name), "%s::%s:%s", pi.name, ei.name,
					 json_string_value(json_array_get(um, 0)));
				add_named(&p, name);
			}
			json_decref(um);
		}
	}
}

static json_t *cpu_json(void)
{
	static const char *const keys[][2] = {{"vendor_id", "vendor"},
					      {"cpu family", "family"},
					      {"model", "model"},
					      {"model name", "model_name"}};
	char buf[256];
	json_t *o = json_object();
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		cpuinfo_field(keys[i][0], buf, sizeof(buf));
		json_object_set_new(o, keys[i][1], json_string(buf));
	}
	const char *core = pfm_core_pmu();
	json_object_set_new(o, "libpfm4_core_pmu", core ? json_string(core) : json_null());
	if (nb_read_file("/sys/bus/event_source/devices/cpu/caps/pmu_name", buf, sizeof(buf)) == 0)
		json_object_set_new(o, "perf_pmu_name", json_string(buf));
	return o;
}

static json_t *pmus_json(void)
{
	pfm_pmu_info_t pi;
	json_t *a = json_array();
	int i;
	if (!pfm_ready())
		return a;
	pfm_for_all_pmus(i)
	{
		memset(&pi, 0, sizeof(pi));
		pi.size = sizeof(pi);
		if (pfm_get_pmu_info(i, &pi) != PFM_SUCCESS || !pi.is_present)
			continue;
		json_t *o = json_object();
		json_object_set_new(o, "name", json_string(pi.name));
		json_object_set_new(o, "desc", json_string(pi.desc ? pi.desc : ""));
		json_object_set_new(o, "events", json_integer(pi.nevents));
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *tracefs_json(void)
{
	struct tracefs t;
	json_t *o = json_object();
	tracefs_open(&t);
	json_object_set_new(o, "available", json_boolean(t.ok));
	if (t.ok)
		json_object_set_new(o, "path", json_string(t.shown));
	else
		json_object_set_new(o, "reason", json_string(t.reason));
	json_object_set_new(o, "mounted_by_numabench", json_boolean(t.tmp[0] != 0));
	tracefs_close(&t);
	return o;
}

/* The listing entry of one counter: name, kind, available, reason/errno, how it encodes. */
static json_t *listing_entry(json_t *k, bool all)
{
	static const char *const keep[] = {"kind",     "available",	"reason", "errno",
					   "encoding", "resolved_from", "pmu",	  "tracefs"};
	json_t *o = json_object();
	json_object_set(o, "name", json_object_get(k, "event"));
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		if (json_object_get(k, keep[i]))
			json_object_set(o, keep[i], json_object_get(k, keep[i]));
	const char *kind = json_string_value(json_object_get(k, "kind"));
	if (all && !strcmp(kind, "hardware"))
		json_object_set_new(o, "umasks",
				    pfm_umasks(json_string_value(json_object_get(k, "event"))));
	return o;
}

static json_t *events_doc(struct nb_counters *c, bool all)
{
	json_t *doc = json_object(), *ev = json_array();
	json_object_set_new(doc, "schema", json_string(NB_EVENTS_SCHEMA));
	/* The listing asks whether each event opens, not whether all fit in one round. */
	c->rotate = true;
	nb_counters_open(c, 0, -1, false);
	nb_counters_start(c);
	nb_counters_stop(c);
	json_t *list = nb_counters_json(c);
	for (size_t i = 0; i < json_array_size(list); i++)
		json_array_append_new(ev, listing_entry(json_array_get(list, i), all));
	json_decref(list);
	json_object_set_new(doc, "cpu", cpu_json());
	json_object_set_new(doc, "libpfm4_pmus", pmus_json());
	json_object_set_new(doc, "hardware_pmu", json_boolean(hw_pmu_present()));
	json_object_set_new(doc, "core_pmu", pmu_json(&c->pmu));
	json_object_set_new(doc, "perf_event_paranoid", json_integer(paranoid()));
	json_object_set_new(doc, "perf_capable", json_boolean(perf_capable()));
	json_object_set_new(doc, "tracefs", tracefs_json());
	json_object_set_new(doc, "events", ev);
	return doc;
}

static void print_header(json_t *doc)
{
	json_t *cpu = json_object_get(doc, "cpu"), *pmus = json_object_get(doc, "libpfm4_pmus");
	json_t *tfs = json_object_get(doc, "tracefs");
	printf("cpu: %s family %s model %s (%s); libpfm4 PMUs here:",
	       json_string_value(json_object_get(cpu, "vendor")),
	       json_string_value(json_object_get(cpu, "family")),
	       json_string_value(json_object_get(cpu, "model")),
	       json_string_value(json_object_get(cpu, "model_name")));
	for (size_t i = 0; i < json_array_size(pmus); i++)
		printf(" %s", json_string_value(json_object_get(json_array_get(pmus, i), "name")));
	printf("\nhardware PMU: %s; perf_event_paranoid=%lld; CAP_PERFMON: %s; tracefs: %s\n",
	       json_is_true(json_object_get(doc, "hardware_pmu")) ? "yes" : "no",
	       (long long)json_integer_value(json_object_get(doc, "perf_event_paranoid")),
	       json_is_true(json_object_get(doc, "perf_capable")) ? "yes" : "no",
	       json_is_true(json_object_get(tfs, "available"))
		   ? json_string_value(json_object_get(tfs, "path"))
		   : json_string_value(json_object_get(tfs, "reason")));
	json_t *pmu = json_object_get(doc, "core_pmu");
	printf("core PMU: %s, %lld general counters free (%s)\n",
	       json_string_value(json_object_get(pmu, "name")),
	       (long long)json_integer_value(json_object_get(pmu, "free_general")),
	       json_string_value(json_object_get(pmu, "source")));
}

void nb_events_print(json_t *doc)
{
	json_t *ev = json_object_get(doc, "events");
	print_header(doc);
	printf("%-10s  %-9s  %-40s  %s\n", "KIND", "AVAILABLE", "EVENT", "ENCODING / REASON");
	for (size_t i = 0; i < json_array_size(ev); i++) {
		json_t *e = json_array_get(ev, i);
		bool ok = json_is_true(json_object_get(e, "available"));
		const char *role = json_string_value(json_object_get(e, "resolved_from"));
		const char *err = json_string_value(json_object_get(e, "errno"));
		char name[200];
		snprintf(name, sizeof(name), "%s%s%s%s",
			 json_string_value(json_object_get(e, "name")), role ? " (" : "",
			 role ? role : "", role ? ")" : "");
		printf("%-10s  %-9s  %-40s  %s%s%s\n",
		       json_string_value(json_object_get(e, "kind")), ok ? "yes" : "no", name,
		       ok || !err ? "" : err, ok || !err ? "" : ": ",
		       json_string_value(json_object_get(e, ok ? "encoding" : "reason")));
	}
}

json_t *nb_events_listing(const char *list, bool all, char *err, size_t errlen)
{
	struct nb_counters *c = nb_counters_new(list, err, errlen);
	if (!c)
		return NULL;
	if (all)
		add_all_pmu_events(c);
	json_t *doc = events_doc(c, all);
	nb_counters_free(c);
	return doc;
}
