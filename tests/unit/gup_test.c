/* Unit tests of the gup bench's rules (bench/gup/rules.c), one table per rule, each row
 * inputs -> expected answer, from README "The `gup` bench" (verdict rules; protocol points 5,
 * 8 and 9). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "gup/rules.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

/*
 * README: "faults on >= 50% "faults", < 5% "no hinting fault", else "hinting faults on N%";
 * pages arriving on the reader's node >= 50% "and migrates toward reader", < 5% "no
 * migration", else "migrates N%". A verdict is "inconclusive" when the cell is untrustworthy
 * or the positive control did not fault." Shares are net of the null pass.
 */
static const struct {
	enum nb_status st, pos_st;
	bool have_pos, cross;
	double f, m, pm;
	const char *want;
} verdicts[] = {
    /* faults */
    {NB_OK, NB_OK, true, true, 1.00, 1.00, 1.0, "faults and migrates toward reader"},
    {NB_OK, NB_OK, true, true, 0.50, 0.50, 1.0, "faults and migrates toward reader"},
    {NB_OK, NB_OK, true, true, 0.90, 0.00, 1.0, "faults, no migration"},
    {NB_OK, NB_OK, true, true, 0.90, 0.049, 0.2,
     "faults, no migration (the positive control did not migrate either)"},
    {NB_OK, NB_OK, true, true, 0.90, 0.25, 1.0, "faults, migrates 25% of pages toward reader"},
    {NB_OK, NB_OK, true, true, 0.90, 0.05, 1.0, "faults, migrates 5% of pages toward reader"},
    /* no hinting fault: nothing said about migration */
    {NB_OK, NB_OK, true, true, 0.00, 0.00, 1.0, "no hinting fault"},
    {NB_OK, NB_OK, true, true, 0.049, 0.90, 1.0, "no hinting fault"},
    {NB_OK, NB_OK, true, false, -1, -1, -1, "no hinting fault"},
    /* in between */
    {NB_OK, NB_OK, true, true, 0.05, 0.60, 1.0,
     "hinting faults on 5% of pages and migrates toward reader"},
    {NB_OK, NB_OK, true, true, 0.30, 0.00, 1.0, "hinting faults on 30% of pages, no migration"},
    {NB_OK, NB_OK, true, true, 0.499, 0.10, 1.0,
     "hinting faults on 50% of pages, migrates 10% of pages toward reader"},
    /* local pair: A = B */
    {NB_OK, NB_OK, true, false, 0.90, 0.00, 0.0, "faults (local: nothing to migrate)"},
    {NB_OK, NB_OK, true, false, 0.20, 0.00, 0.0,
     "hinting faults on 20% of pages (local: nothing to migrate)"},
    /* inconclusive: the cell untrustworthy, or the positive control not ok */
    {NB_UNTRUSTWORTHY, NB_OK, true, true, 1.0, 1.0, 1.0, "inconclusive: WHY"},
    {NB_FAILED, NB_OK, true, true, 1.0, 1.0, 1.0, "not measured: WHY"},
    {NB_OK, NB_UNTRUSTWORTHY, true, true, 1.0, 1.0, 1.0,
     "inconclusive: positive control untrustworthy: POS"},
    {NB_OK, NB_SKIPPED, true, true, 1.0, 1.0, 1.0, "inconclusive: positive control skipped: POS"},
    {NB_OK, NB_OK, false, true, 1.0, 1.0, 1.0, "inconclusive: positive control missing"},
};

static void test_verdicts(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(verdicts); i++) {
		struct nb_gup_verdict_in in = {
		    .status = verdicts[i].st,
		    .why = "WHY",
		    .have_pos = verdicts[i].have_pos,
		    .pos_status = verdicts[i].pos_st,
		    .pos_why = "POS",
		    .faulted = verdicts[i].f,
		    .migrated = verdicts[i].m,
		    .pos_migrated = verdicts[i].pm,
		    .cross = verdicts[i].cross,
		};
		char out[256];
		nb_gup_verdict(&in, out, sizeof(out));
		if (strcmp(out, verdicts[i].want))
			fail_msg("row %zu: \"%s\", want \"%s\"", i, out, verdicts[i].want);
	}
}

/* README: "faults net of the null pass": the null pass's share is subtracted, never added. */
static const struct {
	double f, null_share, want;
} nets[] = {
    {0.80, 0.10, 0.70},	 {0.80, 0.00, 0.80}, {0.80, -1, 0.80}, /* null unknown */
    {-1, 0.10, -1},					       /* the cell's share unknown */
    {0.02, 0.05, -0.03},
};

static void test_net_share(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(nets); i++)
		assert_float_equal(nb_gup_net_share(nets[i].f, nets[i].null_share), nets[i].want,
				   1e-12);
}

/*
 * README point 9: "each path reads a PROT_NONE page and writes a read-only page of a target;
 * only FOLL_FORCE lets those through: read paths are forced when the PROT_NONE read works,
 * write paths when the read-only write works."
 */
static const struct {
	bool write, ran;
	int prot_none, read_only, want;
} probes[] = {
    {false, true, 0, EFAULT, 1},     {false, true, EFAULT, 0, 0}, {false, true, EIO, EIO, 0},
    {true, true, EFAULT, 0, 1},	     {true, true, 0, EFAULT, 0},  {true, true, 0, EIO, 0},
    {false, false, 0, 0, -1},	     {false, true, EPERM, 0, -1}, {true, true, 0, EACCES, -1},
    {false, true, ESRCH, ESRCH, -1},
};

static void test_probe_force(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(probes); i++)
		if (nb_gup_probe_force(probes[i].write, probes[i].ran, probes[i].prot_none,
				       probes[i].read_only) != probes[i].want)
			fail_msg("probe row %zu", i);
	/* a pass's own probe ("force_consistent"): not probed and permission errors are unknown */
	assert_int_equal(nb_gup_pass_force(false, 0, NB_GUP_NOT_PROBED), 1);
	assert_int_equal(nb_gup_pass_force(false, NB_GUP_NOT_PROBED, 0), -1);
	assert_int_equal(nb_gup_pass_force(true, 0, EFAULT), 0);
	assert_int_equal(nb_gup_pass_force(true, 0, EPERM), -1);
}

/*
 * README point 9: "A second /proc/PID/mem cell exists only when the attach changes the force;
 * process_vm_* is never attached, ptrace always is." And when the probe cannot tell, the
 * force the kernel applies: ptrace forces, /proc/PID/mem forces when attached or when the
 * capability probe found it forced, process_vm never.
 */
static const struct {
	bool ptrace, memfd;
	int fu, fa;
	bool want_u, want_a;
} modes[] = {
    {false, false, 0, -1, true, false},					  /* process_vm */
    {false, false, 0, 1, true, false},	{true, false, 1, 1, false, true}, /* ptrace */
    {true, false, -1, -1, false, true}, {false, true, 0, 1, true, true},  /* proc mem */
    {false, true, 1, 1, true, false},	{false, true, 0, 0, true, false},
    {false, true, 0, -1, true, false},
};

static void test_path_modes(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(modes); i++) {
		bool u, a;
		nb_gup_path_modes(modes[i].ptrace, modes[i].memfd, modes[i].fu, modes[i].fa, &u,
				  &a);
		if (u != modes[i].want_u || a != modes[i].want_a)
			fail_msg("modes row %zu", i);
	}
	static const struct {
		bool ptrace, memfd, attached;
		int caps;
		bool want;
	} exp[] = {
	    {true, false, true, -1, true},  {false, false, false, 1, false},
	    {false, true, true, 0, true},   {false, true, false, 1, true},
	    {false, true, false, 0, false}, {false, true, false, -1, false},
	};
	for (size_t i = 0; i < N(exp); i++)
		if (nb_gup_expected_force(exp[i].ptrace, exp[i].memfd, exp[i].attached,
					  exp[i].caps) != exp[i].want)
			fail_msg("expected force row %zu", i);
}

/*
 * README point 5: "On timeout (mark_timeout_ms) the pass is recorded "not marked" and the cell
 * is untrustworthy"; point 8: "A positive control below 50% makes that cell untrustworthy";
 * "Requirements": a path that fails with EPERM/EACCES "is recorded with its errno and the cell
 * is skipped with "permission denied""; placement below 95% on node A before a pass
 * (README "Outcomes") and PTE updates with balancing off make it untrustworthy.
 */
struct pass_row {
	int err;
	bool failed, marked;
	int64_t pte;
	double on_a;
	int data;
};
static const struct {
	const char *skip;
	int balancing;
	bool positive;
	double faulted;
	int npass;
	struct pass_row p[3];
	enum nb_status want;
	const char *why; /* a prefix of the reason */
} statuses[] = {
    {"no cross pair", 1, false, 0, 0, {{0}}, NB_SKIPPED, "no cross pair"},
    {"", 1, false, 0, 0, {{0}}, NB_SKIPPED, "interrupted before it ran"},
    {"",
     1,
     false,
     0,
     2,
     {{EPERM, 0, 1, 9, 1, 1}, {EACCES, 0, 1, 9, 1, 1}},
     NB_SKIPPED,
     "permission denied (EPERM)"},
    {"",
     1,
     false,
     0,
     2,
     {{EPERM, 0, 1, 9, 1, 1}, {0, 0, 1, 9, 1, 1}},
     NB_FAILED,
     "permission denied in some passes"},
    {"", 1, false, 0, 2, {{0, 0, 1, 9, 1, 1}, {0, 1, 0, 0, 1, -1}}, NB_FAILED, "FAIL"},
    {"", 1, false, 0, 1, {{EFAULT, 0, 1, 9, 1, 1}}, NB_FAILED, "PATH: EFAULT at page 3 of 8"},
    {"",
     1,
     false,
     0,
     2,
     {{0, 0, 1, 9, 1, 0}, {0, 0, 1, 9, 1, 1}},
     NB_FAILED,
     "PATH returned other data than the target's in 1 of 2 passes"},
    {"",
     1,
     false,
     0,
     2,
     {{0, 0, 0, 9, 1, 1}, {0, 0, 1, 9, 1, 1}},
     NB_UNTRUSTWORTHY,
     "not marked: the scanner did not cover the buffer within 500 ms in 1 of 2 passes"},
    {"",
     0,
     false,
     0,
     1,
     {{0, 0, 0, 5, 1, 1}},
     NB_UNTRUSTWORTHY,
     "balancing off, yet numa_pte_updates rose in 1 of 1 passes"},
    {"",
     0,
     false,
     0,
     1,
     {{0, 0, 0, 0, 0.94, 1}},
     NB_UNTRUSTWORTHY,
     "buffer below 95% on node 0 before 1 of 1 passes"},
    {"",
     1,
     true,
     0.40,
     1,
     {{0, 0, 1, 9, 1, -1}},
     NB_UNTRUSTWORTHY,
     "positive control: 40% of the marked pages"},
    {"", 1, true, 0.50, 1, {{0, 0, 1, 9, 1, -1}}, NB_OK, ""},
    {"", 0, false, 0, 1, {{0, 0, 0, 0, 0.95, -1}}, NB_OK, ""},
    {"", 1, false, 0, 3, {{0, 0, 1, 9, 1, 1}, {0, 0, 1, 9, 1, 1}, {0, 0, 1, 9, 1, -1}}, NB_OK, ""},
};

static void test_status(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(statuses); i++) {
		struct nb_gup_tally t = {0};
		for (int k = 0; k < statuses[i].npass; k++) {
			const struct pass_row *p = &statuses[i].p[k];
			nb_gup_tally_add(&t, p->err, p->failed, statuses[i].balancing, p->marked,
					 p->pte, p->on_a, p->data);
		}
		struct nb_gup_status_in in = {
		    .skip = statuses[i].skip,
		    .path = "PATH",
		    .perm_err = "EPERM",
		    .fail = t.failed ? "FAIL" : NULL,
		    .err = "EFAULT",
		    .err_done = 3,
		    .pages = 8,
		    .mark_timeout = 500,
		    .node_a = 0,
		    .positive_on = statuses[i].positive && statuses[i].balancing,
		    .faulted = statuses[i].faulted,
		};
		char why[256] = "";
		enum nb_status st = nb_gup_status(&t, &in, why, sizeof(why));
		if (st != statuses[i].want ||
		    strncmp(why, statuses[i].why, strlen(statuses[i].why)))
			fail_msg("status row %zu: %s \"%s\"", i, nb_status_name(st), why);
	}
}

/* README: "Counts are medians over passes" (the lower median of an even count). */
static void test_lower_median(void **state)
{
	(void)state;
	int64_t a[] = {5}, b[] = {9, 1}, c[] = {3, 1, 2}, d[] = {4, 1, 3, 2};
	assert_int_equal(nb_gup_lower_median(a, 1), 5);
	assert_int_equal(nb_gup_lower_median(b, 2), 1);
	assert_int_equal(nb_gup_lower_median(c, 3), 2);
	assert_int_equal(nb_gup_lower_median(d, 4), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_verdicts),	cmocka_unit_test(test_net_share),
	    cmocka_unit_test(test_probe_force), cmocka_unit_test(test_path_modes),
	    cmocka_unit_test(test_status),	cmocka_unit_test(test_lower_median),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
