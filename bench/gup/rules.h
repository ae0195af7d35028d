/* numabench bench `gup`: its verdict rules as pure functions of numbers (no kernel, no JSON),
 * so that tests/unit/gup_test.c checks them row by row against README "The `gup` bench". */
#ifndef NB_GUP_RULES_H
#define NB_GUP_RULES_H

#include "bench.h"

/* A share of the buffer's pages at or above YES is "does", below NO is "does not". */
#define NB_GUP_SHARE_YES 0.5
#define NB_GUP_SHARE_NO 0.05
/* A probe that did not run (per-pass probe fields). */
#define NB_GUP_NOT_PROBED (-2)

/* Force of a probed (path, attach) mode: a read path reading a PROT_NONE page, a write path
 * writing a read-only page; only FOLL_FORCE lets those through. 1 forced (the access worked),
 * 0 not, -1 unknown (not probed, or EPERM/EACCES/ESRCH: no rights over the target). */
int nb_gup_probe_force(bool write, bool ran, int prot_none, int read_only);
/* The force one pass's own probe showed: as above, NB_GUP_NOT_PROBED and EPERM/EACCES unknown. */
int nb_gup_pass_force(bool write, int prot_none, int read_only);
/* Force when the probe could not tell: ptrace always forces; /proc/PID/mem forces when
 * attached or when the capability probe (caps_proc_mem_force, -1 unknown) found it forced;
 * process_vm_* never does. harness/KERNEL-NOTES.md#KN-gup-foll-force */
bool nb_gup_expected_force(bool ptrace, bool memfd, bool attached, int caps_proc_mem_force);
/* The cells of one path: process_vm unattached, ptrace attached; /proc/PID/mem unattached, and
 * attached too when the attach changes the probed force (fu, fa: unattached, attached; -1
 * unknown). */
void nb_gup_path_modes(bool ptrace, bool memfd, int fu, int fa, bool *unattached, bool *attached);

/* Lower median of v[0..n) (sorts v); n > 0. */
int64_t nb_gup_lower_median(int64_t *v, int n);
/* Share of pages that faulted net of the null pass: f - max(null, 0); -1 when f is unknown. */
double nb_gup_net_share(double f, double null_share);

/* What the passes of a cell came to. */
struct nb_gup_tally {
	int npass, perm, failed, errs, unmarked, offmarked, misplaced, baddata;
};
/* Count one pass: err is its access errno (EPERM/EACCES count as permission), failed that it
 * could not be measured, data 0 when a read path read other data (1 or -1 otherwise). */
void nb_gup_tally_add(struct nb_gup_tally *t, int err, bool failed, int balancing, bool marked,
		      int64_t pte_updates, double on_intended, int data);

/* Inputs of a cell's status, besides its tally. */
struct nb_gup_status_in {
	const char *skip;      /* why the cell cannot run here, "" when it can */
	const char *path;      /* its path (or control) name */
	const char *perm_err;  /* errno name of the first pass (all-permission case) */
	const char *fail;      /* the first failed pass's reason, NULL none */
	const char *err;       /* errno name of the first pass with an access error */
	size_t err_done;       /* pages that pass accessed */
	size_t pages;	       /* buffer pages */
	uint64_t mark_timeout; /* ms */
	int node_a;	       /* target node */
	bool positive_on;      /* a positive control with balancing on */
	double faulted;	       /* its net faulted share */
};
/* ok, skipped, failed or untrustworthy, with the reason in why. */
enum nb_status nb_gup_status(const struct nb_gup_tally *t, const struct nb_gup_status_in *in,
			     char *why, size_t wl);

/* Inputs of a verdict (one path cell with balancing on). */
struct nb_gup_verdict_in {
	enum nb_status status; /* the cell's */
	const char *why;       /* its reason */
	bool have_pos;	       /* a positive control exists for (pair, balancing) */
	enum nb_status pos_status;
	const char *pos_why;
	double faulted;	     /* net share of pages that took a hinting fault */
	double migrated;     /* share of pages that arrived on the reader's node */
	double pos_migrated; /* the positive control's */
	bool cross;	     /* reader and target on different nodes */
};
/* "faults and migrates toward reader", "no hinting fault", "inconclusive: ..."... */
void nb_gup_verdict(const struct nb_gup_verdict_in *in, char *out, size_t len);

#endif
