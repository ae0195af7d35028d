/* numabench: counter groups (perf_event_open, event names through libpfm4, software events,
 * NUMA tracepoints through tracefs ids), grouped to fit the counters the PMU has free
 * (counters/pmu.h). Values are never scaled: a counter that ran less than its enabled time is
 * flagged `multiplexed` with its running fraction; it changes the status only of a verdict
 * that uses it (nb_counters_untrustworthy on that verdict's events). */
#ifndef NB_COUNTERS_H
#define NB_COUNTERS_H

#include "nb.h"

#include <sys/types.h>

struct nb_counters; /* opaque */

/* The running/enabled ratio below which a verdict that uses a counter is withheld. */
#define NB_COUNTERS_MIN_RUNNING 0.95

/*
 * Parse a comma list of event names ("cycles,instructions,page-faults,migrate:mm_migrate_pages").
 * NULL or "" = the default set: the NUMA hardware set for this CPU (cycles, instructions,
 * llc-misses, dram-local, dram-remote, dtlb-misses, each recording what it resolved to), the
 * software events and the NUMA tracepoints. "default" inside a list expands to that set.
 * Hardware names are anything libpfm4 encodes (Intel "MEM_LOAD_L3_MISS_RETIRED.REMOTE_DRAM",
 * AMD names, perf generic names, "pmu::EVENT:UMASK"). Tracepoints are "system:name".
 * Unknown names: NULL with a one-line message naming the event in err. Events that exist but
 * cannot be opened here are kept as unavailable with errno and reason.
 */
struct nb_counters *nb_counters_new(const char *events, char *err, size_t errlen);

/*
 * Hardware events are grouped to fit the core PMU (nb_pmu_group): the default set is one
 * group counted in one round, and what does not fit is not opened, reported "not scheduled:
 * the hardware events need N general counters, the PMU has M free"; a list the user wrote may
 * ask for more, in further groups that the kernel rotates (reported multiplexed). Software
 * events and tracepoints are a group of their own.
 * Open for a thread (tid 0 = calling thread; with inherit, also threads and children it creates
 * afterwards) or system-wide on one cpu (tid -1, cpu >= 0; needs CAP_PERFMON or
 * perf_event_paranoid <= 0). cpu -1 with a tid = any cpu. Returns the number of available
 * counters (0 is not an error: everything is listed as unavailable with a reason), -1 on bad
 * arguments.
 */
int nb_counters_open(struct nb_counters *c, pid_t tid, int cpu, bool inherit);
void nb_counters_start(struct nb_counters *c); /* reset + enable */
void nb_counters_stop(struct nb_counters *c);  /* disable + read */
/* Read without stopping: values become the counts since start. 0, or -1 if a read failed. */
int nb_counters_read(struct nb_counters *c);

/* JSON array: each {event, encoding, value, time_enabled, time_running, multiplexed,
 * running_fraction (time_running / time_enabled, null when not counted), available, reason?,
 * errno?, kind: hardware|software|tracepoint, resolved_from?, pmu?, tracefs?, group?}.
 * value is null for an unavailable counter. */
json_t *nb_counters_json(const struct nb_counters *c);
/* True when an available counter of `events` (a comma list of names or default roles; NULL =
 * every counter) ran < min_running_ratio of its enabled time; why names it. */
bool nb_counters_untrustworthy(const struct nb_counters *c, const char *events,
			       double min_running_ratio, char *why, size_t len);
struct nb_pmu; /* counters/pmu.h */
/*
 * The groups c would be opened in on PMU pmu (NULL: this host's, detected), opening nothing:
 * {pmu: {name, known, general_counters, fixed_counters, nmi_watchdog, free_general, source},
 * rotate, groups, hw_need, free_general, not_scheduled, events: [{event, kind, needs:
 * general|cycles|instructions|ref-cycles|software|tracepoint|null, group: N|null, reason?}]}.
 * For a run's plan; the live open also leaves out events that do not open on their own.
 */
json_t *nb_counters_plan(const struct nb_counters *c, const struct nb_pmu *pmu);
/*
 * A view of `events` (names or default roles) of run, an open set: its start, read and stop
 * read run's counters (run keeps counting), so its values cover the span between them. Events
 * run does not have are unavailable. Free the view before run. NULL with err for a bad list.
 */
struct nb_counters *nb_counters_view(struct nb_counters *run, const char *events, char *err,
				     size_t errlen);
/* Value by event name (or default role, e.g. "dram-remote"), or -1 if unavailable/unknown. */
int64_t nb_counters_value(const struct nb_counters *c, const char *event);
int nb_counters_count(const struct nb_counters *c);	/* number of counters in the set */
int nb_counters_available(const struct nb_counters *c); /* how many opened */
void nb_counters_free(struct nb_counters *c);

/* `numabench events [--json] [--all] [LIST]`, argv[0] == "events". Exit code per nb_exit.
 * In cli/cmd_events.c. */
int nb_cmd_events(int argc, char **argv);

#define NB_EVENTS_SCHEMA "numabench.events/1"
/*
 * The `events` listing of LIST (NULL or "": the default set; with all, also every event of the
 * core PMUs libpfm4 detected here), each counter opened once on this thread to learn whether it
 * is usable: {schema, cpu, libpfm4_pmus, hardware_pmu, perf_event_paranoid, perf_capable,
 * tracefs, events: [{name, kind, available, reason?, errno?, encoding, resolved_from?, pmu?,
 * tracefs?, umasks?}]}. NULL with a one-line message in err for a bad list.
 */
json_t *nb_events_listing(const char *list, bool all, char *err, size_t errlen);
/* The listing as text: a header, then one aligned line per event. */
void nb_events_print(json_t *doc);

#endif
