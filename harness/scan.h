/* numabench: the NUMA-balancing knobs a bench changes for its own duration (numa_balancing and
 * the scan tunables): read before, lowered through the journaled tunables table, put back, and
 * recorded in one shape under the run's "balancing_tunables" key (README "Results JSON").
 * Kernel facts: harness/KERNEL-NOTES.md#KN-scan-tunables. */
#ifndef NB_SCAN_H
#define NB_SCAN_H

#include "nb.h"

enum nb_scan_knob_id {
	NB_SCAN_BALANCING,  /* kernel.numa_balancing */
	NB_SCAN_DELAY,	    /* scan_delay_ms */
	NB_SCAN_PERIOD_MIN, /* scan_period_min_ms */
	NB_SCAN_PERIOD_MAX, /* scan_period_max_ms (read only here) */
	NB_SCAN_SIZE,	    /* scan_size_mb (read only here) */
	NB_SCAN_NKNOBS
};

struct nb_scan_knob {
	const char *name;     /* the tunables-table name */
	char before_text[64]; /* as read at nb_scan_begin ("" when absent) */
	long before;	      /* -1 when absent or unreadable */
	long during;	      /* read back after nb_scan_lower, -1 unknown or not lowered */
	long after;	      /* read back after nb_scan_restore, -1 unknown or not restored */
	bool lowered;	      /* nb_scan_lower wrote it */
	bool restore_tried;   /* nb_scan_restore looked at it */
	bool restored;	      /* it reads its before value after nb_scan_restore */
	char note[256];	      /* why it was not lowered, or the write's error; "" */
};

struct nb_scan {
	struct nb_scan_knob k[NB_SCAN_NKNOBS];
};

/* Read every knob's current value: what nb_scan_restore puts back. */
void nb_scan_begin(struct nb_scan *s);
/* Lower one knob to value for the bench (journaled); value < 0 leaves it ("left as it is
 * (parameter 0)"), !root leaves it ("unchanged: needs root"), an absent knob is left
 * ("unchanged: knob absent (no debugfs?)"). 0, or -1 with the reason in the knob's note. */
int nb_scan_lower(struct nb_scan *s, enum nb_scan_knob_id id, long value, bool root);
/* The knob's current value, -1 when absent. */
long nb_scan_value(enum nb_scan_knob_id id);
/* Write a knob (journaled by the tunables table); 0 or -1 with err. */
int nb_scan_set(enum nb_scan_knob_id id, long value, char *err, size_t len);
/* Put back every knob that no longer reads its before value (numa_balancing too). */
void nb_scan_restore(struct nb_scan *s);
/* The unified record: {knob: {before, during, after, lowered, restored, note?}}, integers or
 * null; "restored" is null when nb_scan_restore did not run. */
json_t *nb_scan_json(const struct nb_scan *s);

#endif
