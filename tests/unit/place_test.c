/* Unit tests of placement parsing and the memory cgroup headroom (harness/place.c, harness/memcg.c)
 * on replayed trees. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "child.h"
#include "memcg.h"
#include "place.h"
#include "topo.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <numa.h>
#include <numaif.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* The cgroup v2 tree captured in a 6.12 guest (tests/fixtures/guests/2node-6.12-cgroup-v2: the
 * shell in /sys/fs/cgroup/nb, memory.max 96M): the limit, the cgroup and the headroom from the
 * kernel's own files. */
static void test_memcg_captured(void **state)
{
	(void)state;
	char root[512];
	const char *src = getenv("NB_SRCDIR");
	snprintf(root, sizeof(root), "%s/tests/fixtures/guests/2node-6.12-cgroup-v2/root",
		 src ? src : ".");
	struct nb_memcg m;
	uint64_t h = memcg_in(root, &m);
	assert_int_equal(m.limit, 96ull << 20);
	assert_string_equal(m.cgroup, "/sys/fs/cgroup/nb");
	assert_true(m.usage > 0 && m.usage < m.limit);
	assert_int_equal(h, m.limit - m.usage);
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

/* nb_first_touch_on: pages on the node, and the policy given back (MPOL_DEFAULT) or kept. */
static void test_first_touch_on(void **state)
{
	(void)state;
	size_t page = (size_t)sysconf(_SC_PAGESIZE), len = 16 * page;
	if (numa_available() < 0)
		skip(); /* no NUMA in this kernel */
	struct bitmask *mems = numa_get_mems_allowed();
	bool node0 = numa_bitmask_isbitset(mems, 0);
	numa_bitmask_free(mems);
	if (!node0)
		skip(); /* node 0 is not allowed here */
	for (int keep = 0; keep < 2; keep++) {
		char *p =
		    mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		const char *step = "unset";
		assert_true(p != MAP_FAILED);
		assert_int_equal(nb_first_touch_on(p, len, 0, !keep, &step), 0);
		assert_null(step);
		int node = -1, mode = -1;
		assert_int_equal(get_mempolicy(&node, NULL, 0, p, MPOL_F_NODE | MPOL_F_ADDR), 0);
		assert_int_equal(node, 0);
		assert_int_equal(get_mempolicy(&mode, NULL, 0, p, MPOL_F_ADDR), 0);
		assert_int_equal(mode, keep ? MPOL_BIND : MPOL_DEFAULT);
		munmap(p, len);
	}
	/* a node that does not exist: the bind step fails */
	char *p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	const char *step = NULL;
	assert_int_equal(nb_first_touch_on(p, page, NB_MAX_NODES - 1, true, &step), -1);
	assert_string_equal(step, "mbind(MPOL_BIND)");
	munmap(p, page);
}

static int exit_now(void *arg)
{
	(void)arg;
	return 3;
}

static int wait_long(void *arg)
{
	(void)arg;
	pause();
	return 0;
}

/* nb_child_gone: an exited child is gone, still reapable; a live one is not gone. */
static void test_child_gone(void **state)
{
	(void)state;
	pid_t a = nb_child_spawn(exit_now, NULL), b = nb_child_spawn(wait_long, NULL);
	assert_true(a > 0 && b > 0);
	for (int i = 0; i < 5000 && !nb_child_gone(a); i++)
		usleep(1000);
	assert_true(nb_child_gone(a));
	assert_false(nb_child_gone(b));
	assert_int_equal(nb_child_wait(a), 3); /* WNOWAIT left it to reap */
	assert_true(nb_child_gone(a));	       /* reaped: no such child */
	nb_child_kill(b);
}

/* 2 sockets, one L3 of 32 MiB each, 8 cores of 2 PUs, siblings numbered as Linux does on
 * Intel (cpu N and N + 16). */
#define TWO_SOCKET                                                                                 \
	"synthetic:package:2 [numa(memory=64GiB)] l3:1(size=32MiB) core:8 pu:2(indexes=2*16:1*2)"
/* NPS4-like: 2 sockets x 4 nodes, 2 CCDs of 32 MiB L3 per node, 4 cores of 2 PUs per CCD. */
#define NPS4 "synthetic:package:2 group:4 [numa(memory=32GiB)] l3:2(size=32MiB) core:4 pu:2"

static void load_replay(struct nb_topo *t, const char *desc)
{
	setenv("NUMABENCH_TOPOLOGY", desc, 1);
	assert_int_equal(nb_topo_load(t), 0);
	unsetenv("NUMABENCH_TOPOLOGY");
}

/* Core, LLC domain and size of a cpu; LLC per node; the single cpu of a node. */
static void test_place_two_socket(void **state)
{
	(void)state;
	struct nb_topo t;
	load_replay(&t, TWO_SOCKET);
	assert_int_equal(t.nnodes, 2);
	assert_int_equal(nb_place_core_of(&t, 0), nb_place_core_of(&t, 16)); /* siblings */
	assert_true(nb_place_core_of(&t, 0) != nb_place_core_of(&t, 1));
	uint64_t b = 0;
	assert_true(nb_place_llc_of(&t, 0, &b) >= 0);
	assert_int_equal(b, 32ull << 20);
	assert_int_equal(nb_place_llc_of(&t, 0, NULL), nb_place_llc_of(&t, 7, NULL));
	assert_true(nb_place_llc_of(&t, 0, NULL) != nb_place_llc_of(&t, 8, NULL));
	assert_int_equal(nb_place_node_llc(&t, 0), 32ull << 20);
	const struct nb_node *n1 = nb_topo_node(&t, 1);
	assert_int_equal(nb_place_one_cpu(n1->cpus, n1->ncpus), 8);
	/* One PU per core: 8 of node 1's 16, no two on a core. */
	int out[16], k = nb_place_spread(&t, n1->cpus, n1->ncpus, true, out);
	assert_int_equal(k, 8);
	for (int i = 0; i < k; i++)
		for (int j = 0; j < i; j++)
			assert_true(nb_place_core_of(&t, out[i]) != nb_place_core_of(&t, out[j]));
	/* All PUs: cores first, then the siblings. */
	k = nb_place_spread(&t, n1->cpus, n1->ncpus, false, out);
	assert_int_equal(k, 16);
	for (int i = 0; i < 8; i++)
		assert_true(out[i] < 16 && out[8 + i] >= 24);
	/* Other cores than cpu 8's: neither 8 nor its sibling 24. */
	k = nb_place_other_cores(&t, n1->cpus, n1->ncpus, 8, out);
	assert_int_equal(k, 14);
	for (int i = 0; i < k; i++)
		assert_true(out[i] != 8 && out[i] != 24);
	nb_topo_free(&t);
}

/* Thread subsets spread over a node's LLC domains (CCDs), not cpus[0..t-1]. */
static void test_place_nps4_spread(void **state)
{
	(void)state;
	struct nb_topo t;
	load_replay(&t, NPS4);
	assert_int_equal(t.nnodes, 8);
	const struct nb_node *n = nb_topo_node(&t, 3);
	assert_int_equal(n->ncpus, 16);
	assert_int_equal(nb_place_node_llc(&t, 3), 64ull << 20); /* 2 CCDs of 32 MiB */
	int out[16], k = nb_place_spread(&t, n->cpus, n->ncpus, true, out);
	assert_int_equal(k, 8);
	/* Any even prefix has as many cores on each CCD. */
	for (int p = 2; p <= k; p += 2) {
		int first = 0, l0 = nb_place_llc_of(&t, out[0], NULL);
		for (int i = 0; i < p; i++)
			first += nb_place_llc_of(&t, out[i], NULL) == l0;
		assert_int_equal(first, p / 2);
	}
	nb_topo_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_memcg_trees),	      cmocka_unit_test(test_memcg_captured),
	    cmocka_unit_test(test_numa_maps_fixture), cmocka_unit_test(test_first_touch_on),
	    cmocka_unit_test(test_child_gone),	      cmocka_unit_test(test_place_two_socket),
	    cmocka_unit_test(test_place_nps4_spread),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
