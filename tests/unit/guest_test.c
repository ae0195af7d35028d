/* Unit tests for harness/guest/: SHA-256 against the FIPS 180-4 / NIST vectors, the guest
 * topology reader and validator on the configs/guests files and on broken topologies, the newc
 * cpio writer's format, the results channel's frames, and the Debian version parser. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "guest/guest_int.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void hex_of(const void *data, size_t len, char out[65])
{
	struct sha256 s;
	sha256_init(&s);
	sha256_update(&s, data, len);
	sha256_hex(&s, out);
}

static void test_sha256_vectors(void **state)
{
	(void)state;
	char hex[65];
	hex_of("", 0, hex);
	assert_string_equal(hex,
			    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	hex_of("abc", 3, hex);
	assert_string_equal(hex,
			    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"; /* 448 bits */
	hex_of(two, strlen(two), hex);
	assert_string_equal(hex,
			    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	/* One million 'a', fed in uneven pieces: block boundaries inside updates. */
	struct sha256 s;
	char buf[997];
	memset(buf, 'a', sizeof(buf));
	sha256_init(&s);
	for (size_t left = 1000000; left;) {
		size_t n = left < sizeof(buf) ? left : sizeof(buf);
		sha256_update(&s, buf, n);
		left -= n;
	}
	sha256_hex(&s, hex);
	assert_string_equal(hex,
			    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void test_sha256_file(void **state)
{
	(void)state;
	char path[] = "/tmp/nb-guest-test-XXXXXX", a[65], b[65];
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "abc", 3), 3);
	close(fd);
	struct sha256 s;
	sha256_init(&s);
	assert_int_equal(sha256_file(&s, path), 0);
	sha256_hex(&s, a);
	hex_of("abc", 3, b);
	assert_string_equal(a, b);
	unlink(path);
	sha256_init(&s);
	assert_int_equal(sha256_file(&s, path), -1);
}

/* Every shipped topology loads and respects the rules. */
static void test_topology_shipped(void **state)
{
	(void)state;
	DIR *d = opendir("configs/guests");
	struct dirent *e;
	int n = 0;
	assert_non_null(d);
	while ((e = readdir(d))) {
		size_t l = strlen(e->d_name);
		if (l < 6 || strcmp(e->d_name + l - 5, ".json"))
			continue;
		char path[512];
		struct gtopo t;
		snprintf(path, sizeof(path), "configs/guests/%s", e->d_name);
		assert_int_equal(nb_guest_topo_load(path, &t), 0);
		assert_true(t.nnodes >= 1 && t.nnodes <= G_MAX_NODES);
		uint64_t mem = 0;
		int cpus = 0;
		for (int i = 0; i < t.nnodes; i++) {
			mem += t.nodes[i].mem;
			cpus += t.nodes[i].ncpus;
			assert_int_equal(t.nodes[i].mem % G_MIN_NODE_MEM, 0);
		}
		assert_int_equal(mem, t.total_mem);
		assert_int_equal(cpus, t.ncpus);
		for (int i = 0; t.have_dist && i < t.nnodes; i++)
			assert_int_equal(t.dist[i][i], 10);
		n++;
	}
	closedir(d);
	assert_true(n >= 3);
	struct gtopo t;
	assert_int_equal(nb_guest_topo_load("configs/guests/2node-hmat.json", &t), 0);
	assert_string_equal(t.name, "2node-hmat");
	assert_true(t.hmat);
	assert_int_equal(t.lat_ns[0][1], 140);
	assert_int_equal(t.bw_mib[1][1], 16384);
	assert_int_equal(t.nodes[1].initiator, 1);
}

static int load_text(const char *json, struct gtopo *t)
{
	char path[] = "/tmp/nb-guest-topo-XXXXXX.json";
	int fd = mkstemps(path, 5);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, json, strlen(json)), (ssize_t)strlen(json));
	close(fd);
	int rc = nb_guest_topo_load(path, t);
	unlink(path);
	return rc;
}

#define NODE0 "{\"id\":0,\"cpus\":[0],\"memory\":\"512M\"}"
#define NODE1 "{\"id\":1,\"cpus\":[1],\"memory\":\"512M\"}"

static void test_topology_rules(void **state)
{
	(void)state;
	struct gtopo t;
	assert_int_equal(load_text("{\"nodes\":[" NODE0 "," NODE1 "]}", &t), 0);
	assert_int_equal(t.ncpus, 2);
	assert_int_equal(t.total_mem, 1024ull << 20);
	/* the file name names it */
	assert_true(strncmp(t.name, "nb-guest-topo-", 14) == 0);
	static const char *const bad[] = {
	    "[]",							 /* not an object */
	    "{\"nodes\":[]}",						 /* no node */
	    "{\"nodes\":[{\"id\":1,\"cpus\":[0],\"memory\":\"512M\"}]}", /* id order */
	    "{\"nodes\":[{\"id\":0,\"cpus\":[0],\"memory\":\"100M\"}]}", /* 128M steps */
	    "{\"nodes\":[{\"id\":0,\"cpus\":[1],\"memory\":\"512M\"}]}", /* cpu gap */
	    "{\"nodes\":[{\"id\":0,\"cpus\":[],\"memory\":\"512M\"}]}",	 /* no cpu */
	    "{\"nodes\":[{\"id\":0,\"cpus\":[0],\"memory\":\"32G\"}]}",	 /* > 16G */
	    "{\"nodes\":[" NODE0 ",{\"id\":1,\"cpus\":[0],\"memory\":\"512M\"}]}", /* cpu twice */
	    "{\"nodes\":[" NODE0 "," NODE1 "],\"distances\":[[10,20],[20,11]]}",   /* diagonal */
	    "{\"nodes\":[" NODE0 "," NODE1 "],\"distances\":[[10,255],[20,10]]}",  /* > 254 */
	    "{\"nodes\":[" NODE0 "," NODE1 "],\"distances\":[[10,20]]}",	   /* shape */
	    "{\"nodes\":[" NODE0 "," NODE1 "],\"hmat\":{}}",			   /* empty hmat */
	    "{\"nodes\":[" NODE0 "," NODE1 "],\"hmat\":{\"latency_ns\":[[1,0],[1,1]]}}", /* 0 */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (load_text(bad[i], &t) != -1)
			fail_msg("accepted: %s", bad[i]);
	}
	assert_int_equal(nb_guest_topo_load("/nonexistent/x.json", &t), -1);
}

static uint32_t hexfield(const char *h, int i)
{
	char f[9];
	memcpy(f, h + 6 + 8 * i, 8);
	f[8] = 0;
	return (uint32_t)strtoul(f, NULL, 16);
}

/* newc: "070701", 13 8-hex-digit fields, name + NUL padded to 4, data padded to 4; the
 * directories above an entry first; TRAILER!!!; the whole padded to 512. */
static void test_cpio_format(void **state)
{
	(void)state;
	char path[] = "/tmp/nb-guest-cpio-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	struct ent e[2] = {{.name = "a/b/file", .kind = ENT_DATA, .perm = 0644, .data = "hello"},
			   {.name = "a/link", .kind = ENT_LINK, .perm = 0777, .data = "b/file"}};
	struct manifest m = {.v = e, .n = 2};
	assert_int_equal(cpio_write(path, &m), 0);
	size_t len;
	char *buf = nb_read_all(path, 1 << 20, &len);
	assert_non_null(buf);
	assert_int_equal(len % 512, 0);
	static const struct {
		const char *name;
		uint32_t mode, size;
	} want[] = {{"a", 040755, 0},
		    {"a/b", 040755, 0},
		    {"a/b/file", 0100644, 5},
		    {"a/link", 0120777, 6},
		    {"TRAILER!!!", 0, 0}};
	size_t off = 0;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const char *h = buf + off;
		assert_true(off + 110 <= len);
		assert_memory_equal(h, "070701", 6);
		assert_int_equal(hexfield(h, 0), i + 1); /* inode */
		assert_int_equal(hexfield(h, 1), want[i].mode);
		assert_int_equal(hexfield(h, 6), want[i].size);
		uint32_t nlen = hexfield(h, 11);
		assert_int_equal(nlen, strlen(want[i].name) + 1);
		assert_string_equal(h + 110, want[i].name);
		off = (off + 110 + nlen + 3) & ~(size_t)3;
		if (want[i].size)
			assert_memory_equal(buf + off, e[i - 2].data, want[i].size);
		off = (off + want[i].size + 3) & ~(size_t)3;
	}
	for (size_t i = off; i < len; i++)
		assert_int_equal(buf[i], 0);
	free(buf);
	unlink(path);
}

static void test_chan_frames(void **state)
{
	(void)state;
	unsigned char out[16];
	assert_int_equal(b64_decode("aGVs\nbG8=", 9, out), 5);
	assert_memory_equal(out, "hello", 5);
	assert_int_equal(b64_decode("a*b", 3, out), -1);
	char path[] = "/tmp/nb-guest-chan-XXXXXX", sum[65];
	hex_of("hello", 5, sum);
	FILE *f = fdopen(mkstemp(path), "w");
	assert_non_null(f);
	fprintf(f,
		"NB1 BOOT\r\nNB1 FILE 5 %s stdout\naGVs\nbG8=\nNB1 END\n"
		"NB1 FILE 5 %064d bad\naGVsbG8=\nNB1 END\nNB1 EXIT 3\nNB1 DONE\n",
		sum, 0);
	fclose(f);
	struct chan c;
	chan_parse(path, &c);
	assert_true(c.boot && c.done);
	assert_int_equal(c.exit_code, 3);
	assert_int_equal(c.nfiles, 1);
	const struct gfile *g = chan_get(&c, "stdout");
	assert_non_null(g);
	assert_int_equal(g->len, 5);
	assert_string_equal(g->data, "hello");
	assert_null(chan_get(&c, "bad"));
	assert_non_null(strstr(c.error, "bad arrived corrupt"));
	chan_free(&c);
	unlink(path);
	chan_parse("/nonexistent", &c);
	assert_false(c.boot);
	assert_int_equal(c.exit_code, -1);
}

static void test_deb_version(void **state)
{
	(void)state;
	char v[128];
	deb_version("/c/linux-image-6.1.0-28-amd64_6.1.119-1_amd64.deb", v, sizeof(v));
	assert_string_equal(v, "6.1.119-1");
	deb_version("pkg_1%3a2.3-4_amd64.deb", v, sizeof(v));
	assert_string_equal(v, "1:2.3-4");
	deb_version("nounderscore.deb", v, sizeof(v));
	assert_string_equal(v, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sha256_vectors),   cmocka_unit_test(test_sha256_file),
	    cmocka_unit_test(test_topology_shipped), cmocka_unit_test(test_topology_rules),
	    cmocka_unit_test(test_cpio_format),	     cmocka_unit_test(test_chan_frames),
	    cmocka_unit_test(test_deb_version),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
