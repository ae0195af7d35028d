/* Unit tests of the harness core: statistics, permutation, parsing, parameters, results
 * files, placement parsing, tunables validation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "bench.h"
#include "cli/cli.h"
#include "kernels.h"
#include "memcg.h"
#include "place.h"
#include "results.h"
#include "stats.h"
#include "tunables.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void check_chase(size_t stride)
{
	size_t len = 1 << 20, group = 64 << 10, links = len / stride;
	char *buf = aligned_alloc(4096, len);
	unsigned char *seen = calloc(links, 1);
	void *start = nb_chase_build(buf, len, stride, group, 7);
	assert_non_null(start);
	void *p = start;
	size_t group_changes = 0;
	for (size_t i = 0; i < links; i++) {
		size_t off = (size_t)((char *)p - buf);
		assert_int_equal(off % stride, 0);	 /* one line per stride */
		assert_int_equal(seen[off / stride], 0); /* each slot once */
		seen[off / stride] = 1;
		void *next = *(void **)p;
		if (((char *)next - buf) / group != ((char *)p - buf) / group)
			group_changes++;
		p = next;
	}
	assert_ptr_equal(p, start);		      /* a single cycle through every slot */
	assert_int_equal(group_changes, len / group); /* groups are visited whole */
	/* Not sequential, and no two consecutive loads in adjacent lines. */
	size_t seq = 0;
	p = start;
	for (size_t i = 0; i < links; i++, p = *(void **)p)
		seq += (size_t)labs((char *)*(void **)p - (char *)p) == stride;
	if (group / stride >= 64) /* too few links per group to judge otherwise */
		assert_true(seq < links / 10);
	free(seen);
	free(buf);
}

static void test_chase_is_one_cycle_with_locality(void **state)
{
	(void)state;
	check_chase(64);
	check_chase(256);
	check_chase(4096);
	char buf[4096];
	assert_null(nb_chase_build(buf, sizeof(buf), 96, 4096, 1));   /* not a power of two */
	assert_null(nb_chase_build(buf, sizeof(buf), 32, 4096, 1));   /* below a line */
	assert_null(nb_chase_build(buf, sizeof(buf), 4096, 4096, 1)); /* one link only */
}

static void test_parse(void **state)
{
	(void)state;
	uint64_t v;
	assert_int_equal(nb_parse_size("4K", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(nb_parse_size("1GiB", &v), 0);
	assert_int_equal(v, 1ull << 30);
	assert_int_equal(nb_parse_size("12x", &v), -1);
	assert_int_equal(nb_parse_size("-1", &v), -1);
	assert_int_equal(nb_parse_size("99999999999999T", &v), -1);
	assert_int_equal(nb_parse_u64("12a", &v), -1);
	assert_int_equal(nb_parse_u64("", &v), -1);
	char buf[32];
	nb_fmt_size(3u << 20, buf, sizeof(buf));
	assert_string_equal(buf, "3M");
	nb_fmt_size(1000, buf, sizeof(buf));
	assert_string_equal(buf, "1000");
}

static void test_params(void **state)
{
	(void)state;
	const struct nb_bench *b = nb_bench_find("latency");
	struct nb_params p;
	char err[256];
	assert_non_null(b);
	assert_int_equal(nb_params_init(&p, b, err, sizeof(err)), 0);
	assert_true(nb_param(&p, "size")->nlist >= 3);
	assert_int_equal(nb_params_set(&p, "size", "4K,1M", err, sizeof(err)), 0);
	assert_int_equal(nb_param(&p, "size")->nlist, 2);
	assert_int_equal(nb_param(&p, "size")->list[1], 1 << 20);
	assert_int_equal(nb_params_set(&p, "pages", "thp", err, sizeof(err)), 0);
	assert_int_equal(nb_param(&p, "pages")->list[0], 1);
	assert_int_equal(nb_params_set(&p, "pages", "2m", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "4k|thp"));
	assert_int_equal(nb_params_set(&p, "size", "abc", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "abc"));
	assert_int_equal(nb_params_set(&p, "size", "1K", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "out of range"));
	assert_int_equal(nb_params_set(&p, "bogus", "1", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unknown parameter latency.bogus"));
	/* a failed set leaves the previous value */
	assert_int_equal(nb_param(&p, "size")->nlist, 2);
	json_t *j = nb_params_json(&p);
	assert_string_equal(json_string_value(json_object_get(j, "size")), "4K,1M");
	json_decref(j);
	nb_params_free(&p);
}

static void test_metric_json(void **state)
{
	(void)state;
	double s[] = {1, 2, 3};
	json_t *m = nb_metric("ns", "lower", s, 3);
	assert_string_equal(json_string_value(json_object_get(m, "unit")), "ns");
	assert_string_equal(json_string_value(json_object_get(m, "direction")), "lower");
	assert_int_equal(json_array_size(json_object_get(m, "samples")), 3);
	assert_float_equal(json_real_value(json_object_get(m, "median")), 2, 0);
	assert_int_equal(json_array_size(json_object_get(m, "ci95")), 2);
	for (const char *const *k =
		 (const char *const[]){"min", "mean", "stddev", "cv", "p5", "p95", "mad", "spread",
				       "outliers", "ci_level", NULL};
	     *k; k++)
		assert_non_null(json_object_get(m, *k));
	json_decref(m);
}

static void test_results_roundtrip(void **state)
{
	(void)state;
	struct nb_topo t;
	struct nb_caps c;
	char err[512], dir[] = "/tmp/nbtestXXXXXX", path[256], link[256];
	assert_int_equal(nb_topo_load(&t), 0);
	memset(&c, 0, sizeof(c));
	strcpy(c.virt, "none");
	char *argv[] = {"numabench", "run"};
	json_t *doc = nb_result_new(&t, &c, 2, argv);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/r.json", dir);
	assert_int_equal(nb_result_write(path, doc, err, sizeof(err)), 0);
	json_t *back = nb_result_read(path, err, sizeof(err));
	assert_non_null(back);
	assert_true(json_equal(doc, back));
	/* a symlink is refused and the target stays intact */
	snprintf(link, sizeof(link), "%s/l.json", dir);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(nb_result_write(link, doc, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "symlink"));
	/* unknown major version, garbage, truncation */
	json_object_set_new(doc, "schema", json_string("numabench.result/2"));
	char *txt = json_dumps(doc, 0);
	assert_null(nb_result_parse(txt, strlen(txt), err, sizeof(err)));
	assert_non_null(strstr(err, "major version 2"));
	assert_null(nb_result_parse(txt, strlen(txt) / 2, err, sizeof(err)));
	assert_non_null(strstr(err, "invalid JSON"));
	assert_null(nb_result_parse("{\"schema\":\"other/1\",\"runs\":[]}", 30, err, sizeof(err)));
	assert_non_null(strstr(err, "unknown schema"));
	assert_null(nb_result_parse("[1]", 3, err, sizeof(err)));
	free(txt);
	unlink(link);
	unlink(path);
	rmdir(dir);
	json_decref(doc);
	json_decref(back);
	nb_topo_free(&t);
}

/* Write TEXT to ROOT/REL, creating the folders on the way. */
static void put_file(const char *root, const char *rel, const char *text)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (char *p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
		*p = 0;
		mkdir(path, 0755);
		*p = '/';
	}
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static uint64_t memcg_in(const char *root, struct nb_memcg *m)
{
	setenv("NUMABENCH_FSROOT", root, 1);
	uint64_t h = nb_memcg_headroom(m);
	unsetenv("NUMABENCH_FSROOT");
	return h;
}

/* The memory cgroup headroom on captured v1 and v2 trees: the tightest ancestor decides,
 * inactive file cache does not count as used, "max"/v1's huge value mean no limit. */
static void test_memcg_trees(void **state)
{
	(void)state;
	char v1[] = "/tmp/nbcg1XXXXXX", v2[] = "/tmp/nbcg2XXXXXX", none[] = "/tmp/nbcg0XXXXXX";
	struct nb_memcg m;
	assert_non_null(mkdtemp(v1));
	put_file(v1, "proc/self/cgroup", "12:memory:/a/b\n11:cpu,cpuacct:/a\n0::/\n");
	put_file(v1, "proc/self/mountinfo",
		 "25 1 0:22 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n"
		 "30 1 0:27 / /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup rw,memory\n");
	put_file(v1, "sys/fs/cgroup/memory/memory.limit_in_bytes", "9223372036854771712\n");
	put_file(v1, "sys/fs/cgroup/memory/memory.usage_in_bytes", "999999999\n");
	put_file(v1, "sys/fs/cgroup/memory/a/memory.limit_in_bytes", "536870912\n");
	put_file(v1, "sys/fs/cgroup/memory/a/memory.usage_in_bytes", "314572800\n");
	put_file(v1, "sys/fs/cgroup/memory/a/memory.stat",
		 "cache 52428800\ninactive_file 1\ntotal_inactive_file 52428800\n");
	put_file(v1, "sys/fs/cgroup/memory/a/b/memory.limit_in_bytes", "9223372036854771712\n");
	put_file(v1, "sys/fs/cgroup/memory/a/b/memory.usage_in_bytes", "104857600\n");
	assert_int_equal(memcg_in(v1, &m), 262ull << 20);
	assert_int_equal(m.limit, 512ull << 20);
	assert_int_equal(m.usage, 250ull << 20);
	assert_string_equal(m.cgroup, "/sys/fs/cgroup/memory/a");

	assert_non_null(mkdtemp(v2));
	put_file(v2, "proc/self/cgroup", "0::/user.slice/x.scope\n");
	put_file(v2, "proc/self/mountinfo",
		 "29 25 0:24 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n");
	put_file(v2, "sys/fs/cgroup/memory.stat", "anon 1\n");
	put_file(v2, "sys/fs/cgroup/user.slice/memory.max", "104857600\n");
	put_file(v2, "sys/fs/cgroup/user.slice/memory.current", "94371840\n");
	put_file(v2, "sys/fs/cgroup/user.slice/memory.stat",
		 "anon 1\nactive_file 5\ninactive_file 41943040\n");
	put_file(v2, "sys/fs/cgroup/user.slice/x.scope/memory.max", "max\n");
	put_file(v2, "sys/fs/cgroup/user.slice/x.scope/memory.current", "10485760\n");
	assert_int_equal(memcg_in(v2, &m), 50ull << 20);
	assert_int_equal(m.limit, 100ull << 20);
	assert_string_equal(m.cgroup, "/sys/fs/cgroup/user.slice");
	/* a usage above the limit (it happens transiently) is no headroom, not a wrap */
	put_file(v2, "sys/fs/cgroup/user.slice/memory.current", "209715200\n");
	put_file(v2, "sys/fs/cgroup/user.slice/memory.stat", "inactive_file 0\n");
	assert_int_equal(memcg_in(v2, &m), 0);

	assert_non_null(mkdtemp(none)); /* no /proc/self/cgroup: no limit known */
	assert_true(memcg_in(none, &m) == UINT64_MAX);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s %s %s", v1, v2, none);
	assert_int_equal(system(cmd), 0);
}

static void test_numa_maps_fixture(void **state)
{
	(void)state;
	char root[] = "/tmp/nbfsXXXXXX", d[256], f[300];
	assert_non_null(mkdtemp(root));
	snprintf(d, sizeof(d), "%s/proc", root);
	mkdir(d, 0755);
	snprintf(d, sizeof(d), "%s/proc/4242", root);
	mkdir(d, 0755);
	snprintf(f, sizeof(f), "%s/numa_maps", d);
	FILE *fp = fopen(f, "w");
	fprintf(fp, "7f0000000000 bind:1 anon=300 dirty=300 N0=100 N1=200 kernelpagesize_kB=4\n"
		    "7f0000200000 default anon=100 dirty=100 N1=100 kernelpagesize_kB=4\n"
		    "7f1000000000 default anon=5 dirty=5 N0=5 kernelpagesize_kB=4\n");
	fclose(fp);
	setenv("NUMABENCH_FSROOT", root, 1);
	struct nb_placement pl;
	assert_int_equal(nb_placement_numa_maps(4242, (void *)0x7f0000000000, 4 << 20, 1, &pl), 0);
	unsetenv("NUMABENCH_FSROOT");
	assert_int_equal(pl.per_node[0], 100);
	assert_int_equal(pl.per_node[1], 300);
	assert_int_equal(pl.pages_sampled, 400);
	assert_float_equal(pl.on_intended, 0.75, 1e-12);
	unlink(f);
	rmdir(d);
	snprintf(d, sizeof(d), "%s/proc", root);
	rmdir(d);
	rmdir(root);
}

static void test_tunables_validation(void **state)
{
	(void)state;
	char err[256];
	const struct nb_tunable *t = nb_tunable_find("scan_size_mb");
	assert_non_null(t);
	assert_int_equal(nb_tunable_check(t, "0", err, sizeof(err)), -1); /* crashed kernels */
	assert_non_null(strstr(err, "scan_size_mb=0"));
	assert_int_equal(nb_tunable_check(t, "256", err, sizeof(err)), 0);
	t = nb_tunable_find("numa_balancing");
	assert_int_equal(nb_tunable_check(t, "4", err, sizeof(err)), -1);
	assert_int_equal(nb_tunable_check(t, "3", err, sizeof(err)), 0);
	assert_int_equal(nb_tunable_check(t, "1x", err, sizeof(err)), -1);
	t = nb_tunable_find("thp_enabled");
	assert_int_equal(nb_tunable_check(t, "madvise", err, sizeof(err)), 0);
	assert_int_equal(nb_tunable_check(t, "mad", err, sizeof(err)), -1);
	assert_null(nb_tunable_find("../../etc/passwd"));
}

/* Journal: set a real tunable, "crash" (forget in-process state by restoring from the file
 * as a fresh invocation would), and check the original value is back. Root only. */
static void test_journal_restore(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		skip();
	}
	char err[256], orig[64], now[64], jpath[] = "/tmp/nbjournalXXXXXX";
	int fd = mkstemp(jpath);
	close(fd);
	unlink(jpath);
	setenv("NUMABENCH_JOURNAL", jpath, 1);
	const struct nb_tunable *t = nb_tunable_find("zone_reclaim_mode");
	assert_int_equal(nb_tunable_get(t, orig, sizeof(orig)), 0);
	const char *other = strcmp(orig, "1") ? "1" : "0";
	assert_int_equal(nb_tunable_set(t, other, err, sizeof(err)), 0);
	assert_int_equal(nb_tunable_set(t, other, err, sizeof(err)), 0); /* journaled once */
	nb_tunable_get(t, now, sizeof(now));
	assert_string_equal(now, other);
	assert_int_equal(access(jpath, F_OK), 0);
	assert_int_equal(nb_tunables_restore(false), 1);
	nb_tunable_get(t, now, sizeof(now));
	assert_string_equal(now, orig);
	assert_int_equal(access(jpath, F_OK), -1); /* journal cleared */
	unsetenv("NUMABENCH_JOURNAL");
}

static int parse(const char *line)
{
	char buf[512], *argv[32];
	int argc = 0;
	snprintf(buf, sizeof(buf), "%s", line);
	for (char *tok = strtok(buf, " "); tok && argc < 31; tok = strtok(NULL, " "))
		argv[argc++] = tok;
	argv[argc] = NULL;
	return nb_run_parse(argc, argv);
}

static void test_run_command_line(void **state)
{
	(void)state;
	assert_int_equal(parse("run latency fault --set latency.size=4K,1M -o x.json"), 0);
	assert_int_equal(parse("run -o x.json --repeat 5 --set fault.size=2M fault"), 0);
	assert_int_equal(parse("run --set knob.numa_balancing=1 fault"), 0);
	assert_int_equal(parse("run nosuch"), -1);
	assert_int_equal(parse("run latency --repeat 0"), -1);
	assert_int_equal(parse("run latency --repeat 65"), -1);
	assert_int_equal(parse("run latency --set latency"), -1);
	assert_int_equal(parse("run latency --set fault.size=2M"), -1); /* not in the run */
	assert_int_equal(parse("run latency --set knob.scan_size_mb=0"), -1);
	assert_int_equal(parse("run latency --bogus"), -1);
	assert_int_equal(parse("run latency -o"), -1);
	/* a suite from memory */
	const char *ok = "{\"benches\":[{\"bench\":\"fault\",\"params\":{\"size\":\"4M\"}}]}";
	assert_int_equal(nb_suite_parse(ok, strlen(ok)), 0);
	const char *bad = "{\"benches\":[{\"bench\":\"fault\",\"params\":{\"size\":[]}}]}";
	assert_int_equal(nb_suite_parse(bad, strlen(bad)), -1);
	const char *nob = "{\"benches\":{}}";
	assert_int_equal(nb_suite_parse(nob, strlen(nob)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_chase_is_one_cycle_with_locality),
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_params),
	    cmocka_unit_test(test_metric_json),
	    cmocka_unit_test(test_results_roundtrip),
	    cmocka_unit_test(test_numa_maps_fixture),
	    cmocka_unit_test(test_memcg_trees),
	    cmocka_unit_test(test_tunables_validation),
	    cmocka_unit_test(test_journal_restore),
	    cmocka_unit_test(test_run_command_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
