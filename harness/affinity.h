/* numabench: the main thread's cpu affinity kept across a bench (harness/affinity.c). A bench
 * that pins the main thread (tier, gup) and returns without undoing it would run every later
 * bench of the run on its cpu; the runner saves the mask before each bench and restores it. */
#ifndef NB_AFFINITY_H
#define NB_AFFINITY_H

#include "nb.h"

#include <numa.h>

/* The calling thread's affinity, or NULL (with errno) when it cannot be read. */
struct bitmask *nb_affinity_save(void);
/* Put the calling thread back on saved and free it. Returns the record of run["affinity"]:
 * {"main_thread": the saved list, "bench_left": the list the bench left, "restored": bool}.
 * bench_left differs from main_thread when the bench changed it (the runner undid that);
 * restored is false only when setting it back failed. saved NULL: a null record. */
json_t *nb_affinity_restore(struct bitmask *saved);

#endif
