/* numabench: the hardware-counter self-check (`numabench events --selfcheck`). */
#ifndef NB_SELFCHECK_H
#define NB_SELFCHECK_H

#include "nb.h"

#define NB_SELFCHECK_SCHEMA "numabench.selfcheck/1"

/*
 * Count a loop of known length (kernels nb_insn_loop: NB_INSN_PER_ITER instructions per
 * iteration) with the user-mode instructions event, at two lengths (the lowest of 3 counts of
 * each, all kept in samples): the difference of the
 * counts must equal the difference of the executed instructions exactly (what the counts add
 * besides the loop, the few user instructions around the enable and disable calls, cancels
 * and is reported as overhead). Then the default set over the same loop: no hardware counter
 * may have run less than it was enabled (never multiplexed). Then, when rotate is a list,
 * those events over the loop, as a run's set opens them (its groups) and one group per
 * event: each hardware event the kernel rotated (0 < time_running < time_enabled) is listed
 * with its share of the enabled time, one that never ran (a group the kernel accepted but
 * cannot fit in the counters) under never_scheduled.
 * {schema, status: ok|failed|skipped, reason?, instructions: {...}, default_set: {...},
 * rotation?: {...}}. *code: NB_EXIT_OK (ok, skipped), NB_EXIT_FAILED. NULL with err for a
 * bad rotate list.
 */
json_t *nb_counter_selfcheck(const char *rotate, int *code, char *err, size_t errlen);

#endif
