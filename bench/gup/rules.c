/* numabench bench `gup`: the verdict rules, pure (see rules.h). Owns: which force a probe
 * shows, which cells a path gets, a cell's status from its passes, and the verdict sentence.
 * The rules are README "The `gup` bench" (verdict rules; protocol points 5, 8, 9). */
#include "gup/rules.h"
#include "place.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int nb_gup_probe_force(bool write, bool ran, int prot_none, int read_only)
{
	int e = write ? read_only : prot_none;
	if (!ran || e == EPERM || e == EACCES || e == ESRCH)
		return -1;
	return e == 0;
}

int nb_gup_pass_force(bool write, int prot_none, int read_only)
{
	int e = write ? read_only : prot_none;
	return e == NB_GUP_NOT_PROBED || e == EPERM || e == EACCES ? -1 : e == 0;
}

bool nb_gup_expected_force(bool ptrace, bool memfd, bool attached, int caps_proc_mem_force)
{
	if (ptrace)
		return true;
	if (memfd)
		return attached || caps_proc_mem_force == 1;
	return false;
}

void nb_gup_path_modes(bool ptrace, bool memfd, int fu, int fa, bool *unattached, bool *attached)
{
	*unattached = !ptrace;
	*attached = ptrace || (memfd && fa >= 0 && fa != fu);
}

static int cmp_i64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
	return (a > b) - (a < b);
}

int64_t nb_gup_lower_median(int64_t *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_i64);
	return v[(n - 1) / 2];
}

double nb_gup_net_share(double f, double null_share)
{
	return f < 0 ? -1 : f - (null_share > 0 ? null_share : 0);
}

void nb_gup_tally_add(struct nb_gup_tally *t, int err, bool failed, int balancing, bool marked,
		      int64_t pte_updates, double on_intended, int data)
{
	t->npass++;
	if (err == EPERM || err == EACCES) {
		t->perm++;
	} else if (failed) {
		t->failed++;
	} else if (err) {
		t->errs++;
	} else {
		t->unmarked += balancing && !marked;
		t->offmarked += !balancing && pte_updates > 0;
		t->misplaced += on_intended < NB_PLACE_MIN_SHARE;
		t->baddata += data == 0;
	}
}

enum nb_status nb_gup_status(const struct nb_gup_tally *t, const struct nb_gup_status_in *in,
			     char *why, size_t wl)
{
	if (in->skip[0] || t->npass == 0) {
		snprintf(why, wl, "%s", in->skip[0] ? in->skip : "interrupted before it ran");
		return NB_SKIPPED;
	}
	if (t->perm == t->npass) {
		snprintf(why, wl, "permission denied (%s): no ptrace rights over the target",
			 in->perm_err);
		return NB_SKIPPED;
	}
	if (t->failed || t->perm) {
		snprintf(why, wl, "%s", in->fail ? in->fail : "permission denied in some passes");
		return NB_FAILED;
	}
	if (t->errs) {
		snprintf(why, wl, "%s: %s at page %zu of %zu", in->path, in->err, in->err_done,
			 in->pages);
		return NB_FAILED;
	}
	if (t->baddata) {
		snprintf(why, wl, "%s returned other data than the target's in %d of %d passes",
			 in->path, t->baddata, t->npass);
		return NB_FAILED;
	}
	if (t->unmarked) {
		snprintf(why, wl,
			 "not marked: the scanner did not cover the buffer within %llu ms in %d of "
			 "%d passes",
			 (unsigned long long)in->mark_timeout, t->unmarked, t->npass);
		return NB_UNTRUSTWORTHY;
	}
	if (t->offmarked) {
		snprintf(why, wl, "balancing off, yet numa_pte_updates rose in %d of %d passes",
			 t->offmarked, t->npass);
		return NB_UNTRUSTWORTHY;
	}
	if (t->misplaced) {
		snprintf(why, wl, "buffer below %.0f%% on node %d before %d of %d passes",
			 100 * NB_PLACE_MIN_SHARE, in->node_a, t->misplaced, t->npass);
		return NB_UNTRUSTWORTHY;
	}
	if (in->positive_on && in->faulted < NB_GUP_SHARE_YES) {
		snprintf(why, wl,
			 "positive control: %.0f%% of the marked pages took a hinting fault when "
			 "the target's own thread read them",
			 100 * in->faulted);
		return NB_UNTRUSTWORTHY;
	}
	return NB_OK;
}

void nb_gup_verdict(const struct nb_gup_verdict_in *in, char *out, size_t len)
{
	double f = in->faulted, m = in->migrated;
	char what[64], mig[96] = "";
	if (in->status != NB_OK) {
		snprintf(out, len, "%s: %s",
			 in->status == NB_UNTRUSTWORTHY ? "inconclusive" : "not measured", in->why);
		return;
	}
	if (!in->have_pos || in->pos_status != NB_OK) {
		snprintf(out, len, "inconclusive: positive control %s%s%s",
			 in->have_pos ? nb_status_name(in->pos_status) : "missing",
			 in->have_pos ? ": " : "", in->have_pos ? in->pos_why : "");
		return;
	}
	if (f >= NB_GUP_SHARE_YES)
		snprintf(what, sizeof(what), "faults");
	else if (f < NB_GUP_SHARE_NO)
		snprintf(what, sizeof(what), "no hinting fault");
	else
		snprintf(what, sizeof(what), "hinting faults on %.0f%% of pages", 100 * f);
	if (f >= NB_GUP_SHARE_NO && !in->cross)
		snprintf(mig, sizeof(mig), " (local: nothing to migrate)");
	else if (f >= NB_GUP_SHARE_NO && m >= NB_GUP_SHARE_YES)
		snprintf(mig, sizeof(mig), " and migrates toward reader");
	else if (f >= NB_GUP_SHARE_NO && m < NB_GUP_SHARE_NO)
		snprintf(mig, sizeof(mig), ", no migration%s",
			 in->pos_migrated < NB_GUP_SHARE_YES
			     ? " (the positive control did not migrate either)"
			     : "");
	else if (f >= NB_GUP_SHARE_NO)
		snprintf(mig, sizeof(mig), ", migrates %.0f%% of pages toward reader", 100 * m);
	snprintf(out, len, "%s%s", what, mig);
}
