/* numabench: NUMA-related tunables, with a crash-safe journal of original values. */
#ifndef NB_TUNABLES_H
#define NB_TUNABLES_H

#include "nb.h"

struct nb_tunable {
	const char *name;    /* knob name used by --set knob.NAME=VALUE */
	const char *path;    /* current path */
	const char *oldpath; /* pre-5.13 /proc/sys name, or NULL */
	const char *type;    /* "int" or "enum" */
	const char *unit;
	long min, max;	     /* int range (inclusive) */
	const char *choices; /* enum: "always|madvise|never" */
	const char *needs;   /* "root", "root+debugfs" */
	const char *help;
};

extern const struct nb_tunable nb_tunables[];
const struct nb_tunable *nb_tunable_find(const char *name);
/* Resolved path on this kernel (current or old name), or NULL when absent. */
const char *nb_tunable_path(const struct nb_tunable *t);
/* Current value as text ("" + -1 when absent/unreadable). */
int nb_tunable_get(const struct nb_tunable *t, char *buf, size_t len);
/* Validate a value without writing: 0 or -1 with a one-line message in err. */
int nb_tunable_check(const struct nb_tunable *t, const char *value, char *err, size_t errlen);
/* Journal the original value (once per tunable), then write. 0 or -1 with err. */
int nb_tunable_set(const struct nb_tunable *t, const char *value, char *err, size_t errlen);
/* Whether this process has written tunable NAME (it is in this process's journal). */
bool nb_tunable_written(const char *name);
/* Restore every journaled tunable and clear the journal. Returns how many were restored,
 * -1 on an error (the journal is kept). Safe from a signal handler context? No: call it from
 * the main flow; signal handlers set nb_interrupted and the main flow restores.
 * A line numabench never writes (no "=", an unknown tunable, an invalid value) is named in one
 * message; the valid entries are restored and the file is moved aside as JOURNAL.corrupt.STAMP
 * (kept for inspection), so later invocations are quiet. */
int nb_tunables_restore(bool announce);
/* A journal left by a run that is gone (exists, and no live run holds its lock): 1, else 0.
 * Changes nothing. */
int nb_journal_pending(void);
/* Journal location: $NUMABENCH_JOURNAL, else /var/lib/numabench/journal as root, else
 * $HOME/.local/state/numabench/journal. */
const char *nb_journal_path(void);
json_t *nb_tunables_json(void); /* every tunable's current value, by name */
/* Async-signal-safe restore of what this process changed (journal kept for the main flow). */
void nb_tunables_restore_signal(void);
/* In a forked child: close the inherited journal descriptor and drop the parent's restore
 * entries. The parent's record lock is not inherited (tunables.c): the child owns nothing to
 * restore, and neither writes the journal nor restores the parent's changes on a signal. */
void nb_tunables_forget(void);

#endif
