/* Unit tests for the kernel atlas: config-* facts, the console's unknown-parameter line
 * (harness/guest/atlas.c), and atlas-report's rows (analysis/atlas_report.c) on a synthetic
 * atlas: kernels ordered by version, a flipped GUP verdict marked changed, equal cells not, a
 * lost PROT_NONE a finding, a kernel that failed to boot shown with its reason. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "analysis.h"
#include "atlas.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_config_facts(void **state)
{
	(void)state;
	const char *cfg = "CONFIG_NUMA=y\n# CONFIG_PREEMPT_RT is not set\nCONFIG_NODES_SHIFT=10\n"
			  "CONFIG_NUMA_BALANCING=y\nCONFIG_TRANSPARENT_HUGEPAGE=y\n";
	json_t *f = nb_atlas_config_facts(cfg);
	assert_non_null(f);
	assert_string_equal(json_string_value(json_object_get(f, "CONFIG_NUMA")), "y");
	assert_string_equal(json_string_value(json_object_get(f, "CONFIG_NODES_SHIFT")), "10");
	assert_true(json_is_null(json_object_get(f, "CONFIG_PREEMPT_RT")));
	/* CONFIG_NUMA_BALANCING=y must not answer CONFIG_NUMA_BALANCING_DEFAULT_ENABLED */
	assert_true(json_is_null(json_object_get(f, "CONFIG_NUMA_BALANCING_DEFAULT_ENABLED")));
	json_decref(f);
	assert_null(nb_atlas_config_facts(NULL));
}

static void test_console_param(void **state)
{
	(void)state;
	const char *unk = "Linux version 6.1.0\nUnknown kernel command line parameters \"quiet "
			  "proc_mem.force_override=always\", will be passed to user space.\n";
	const char *known = "Linux version 6.12.117\nUnknown kernel command line parameters "
			    "\"quiet\", will be passed to user space.\n";
	assert_int_equal(nb_atlas_console_has_param(unk, "proc_mem.force_override"), 0);
	assert_int_equal(nb_atlas_console_has_param(known, "proc_mem.force_override"), 1);
	assert_int_equal(nb_atlas_console_has_param("", "proc_mem.force_override"), -1);
	assert_int_equal(nb_atlas_console_has_param(NULL, "proc_mem.force_override"), -1);
}

/* One kernel entry: a 2node-always run with one gup verdict, one forced cell's PROT_NONE. */
static json_t *kentry(const char *label, const char *version, double faulted, bool pn_holds)
{
	json_t *gup = json_pack(
	    "{s:s,s:[{s:s,s:s,s:b,s:b,s:f,s:f}],s:[{s:s,s:b,s:b,s:b}]}", "bench", "gup", "verdicts",
	    "pair", "cross", "path", "proc_mem_pwrite", "force", 1, "ptrace_attached", 0,
	    "faulted_share", faulted, "migrated_share", faulted, "cells", "path", "proc_mem_pwrite",
	    "force", 1, "ptrace_attached", 0, "prot_none_holds", pn_holds);
	json_t *res = json_pack("{s:[o]}", "runs", gup);
	return json_pack("{s:s,s:s,s:s,s:s,s:{s:s},s:[{s:s,s:f,s:s,s:o}]}", "label", label,
			 "version", version, "package", label, "status", "ok", "config",
			 "CONFIG_NUMA", "y", "runs", "name", "2node-always", "guest_s", 80.0,
			 "status", "ok", "results", res);
}

static json_t *rows_of(json_t *atlas)
{
	char in[] = "/tmp/nb-atlas-test-XXXXXX", out[64];
	int fd = mkstemp(in);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(json_dump_file(atlas, in, 0), 0);
	snprintf(out, sizeof(out), "%s.rows", in);
	char *files[] = {in};
	struct an_opts o = {.fmt = AN_JSON, .out = out, .files = files, .nfiles = 1};
	assert_int_equal(an_run_atlas_report(&o), 0);
	json_t *doc = json_load_file(out, 0, NULL);
	unlink(in);
	unlink(out);
	assert_non_null(doc);
	return doc;
}

static const json_t *row(const json_t *doc, const char *kernel, const char *prefix)
{
	size_t i;
	const json_t *r;
	json_array_foreach(json_object_get(doc, "rows"), i, r)
	{
		const char *k = json_string_value(json_object_get(r, "kernel"));
		const char *b = json_string_value(json_object_get(r, "behaviour"));
		if (k && b && !strcmp(k, kernel) && !strncmp(b, prefix, strlen(prefix)))
			return r;
	}
	return NULL;
}

static void test_report_rows(void **state)
{
	(void)state;
	/* Out of order on purpose: the report orders by version (6.1.170 < 6.12.100). */
	json_t *atlas = json_pack(
	    "{s:i,s:s,s:[o,o,o,{s:s,s:s,s:s,s:s,s:[]}]}", "atlas_format", 1, "force", "always",
	    "kernels", kentry("k612b", "6.12.117-1", 1.0, false),
	    kentry("k61", "6.1.170-3", 0.0, true), kentry("k612a", "6.12.100-1", 1.0, true),
	    "label", "broken", "version", "6.13.0", "status", "failed", "reason",
	    "Kernel panic - not syncing: VFS", "runs");
	json_t *doc = rows_of(atlas);
	const json_t *r = row(doc, "k61", "proc_mem_pwrite force");
	assert_non_null(r);
	assert_string_equal(json_string_value(json_object_get(r, "value")), "fault:no migrate:no");
	assert_false(json_is_true(json_object_get(r, "changed"))); /* the first kernel */
	r = row(doc, "k612a", "proc_mem_pwrite force");
	assert_non_null(r);
	assert_true(json_is_true(json_object_get(r, "changed")));
	assert_string_equal(json_string_value(json_object_get(r, "previous")),
			    "fault:no migrate:no");
	r = row(doc, "k612b", "proc_mem_pwrite force");
	assert_false(json_is_true(json_object_get(r, "changed"))); /* same as 6.12.100 */
	r = row(doc, "k612b", "PROT_NONE kept: proc_mem_pwrite");
	assert_non_null(r);
	assert_string_equal(json_string_value(json_object_get(r, "value")), "LOST");
	assert_true(json_is_true(json_object_get(r, "finding")));
	assert_true(json_is_true(json_object_get(r, "changed")));
	r = row(doc, "k612a", "PROT_NONE kept: proc_mem_pwrite");
	assert_false(json_is_true(json_object_get(r, "finding")));
	r = row(doc, "broken", "status");
	assert_non_null(r);
	assert_non_null(strstr(json_string_value(json_object_get(r, "value")), "Kernel panic"));
	/* the guest time is never a change */
	r = row(doc, "k612a", "guest 2node-always");
	assert_non_null(r);
	assert_false(json_is_true(json_object_get(r, "changed")));
	json_decref(doc);
	json_decref(atlas);
}

/* A verdict whose cell saw the scanner mark PTEs during a pass is "(scan during pass)" and never
 * a change, though its class differs from the kernel before. */
static void test_report_noisy(void **state)
{
	(void)state;
	json_t *a = kentry("ka", "6.1.1-1", 0.0, true), *b = kentry("kb", "6.1.2-1", 0.5, true);
	json_t *cells = json_object_get(
	    json_array_get(
		json_object_get(
		    json_object_get(json_array_get(json_object_get(b, "runs"), 0), "results"),
		    "runs"),
		0),
	    "cells");
	json_object_set_new(json_array_get(cells, 0), "pair", json_string("cross"));
	json_object_set_new(json_array_get(cells, 0), "passes",
			    json_pack("[{s:i}]", "pte_updates_during", 9));
	json_t *atlas =
	    json_pack("{s:i,s:s,s:[o,o]}", "atlas_format", 1, "force", "always", "kernels", a, b);
	json_t *doc = rows_of(atlas);
	const json_t *r = row(doc, "kb", "proc_mem_pwrite force");
	assert_non_null(r);
	assert_non_null(strstr(json_string_value(json_object_get(r, "value")), "scan during pass"));
	assert_false(json_is_true(json_object_get(r, "changed")));
	json_decref(doc);
	json_decref(atlas);
}

static void test_report_bad_input(void **state)
{
	(void)state;
	char in[] = "/tmp/nb-atlas-bad-XXXXXX";
	int fd = mkstemp(in);
	assert_true(fd >= 0);
	assert_true(write(fd, "{\"runs\": []}", 12) == 12);
	close(fd);
	char *files[] = {in};
	struct an_opts o = {.fmt = AN_TEXT, .out = "/dev/null", .files = files, .nfiles = 1};
	assert_int_equal(an_run_atlas_report(&o), 2);
	unlink(in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_config_facts),     cmocka_unit_test(test_console_param),
	    cmocka_unit_test(test_report_rows),	     cmocka_unit_test(test_report_noisy),
	    cmocka_unit_test(test_report_bad_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
