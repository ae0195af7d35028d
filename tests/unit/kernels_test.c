/* Unit tests of kernels/: the pointer chase is one cycle, one line per stride, visited group by
 * group in random order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "kernels.h"

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
	size_t lines = stride / NB_LINE, used[64] = {0};
	unsigned char *line_of = calloc(links, 1);
	void *start = nb_chase_build(buf, len, stride, group, 7);
	assert_non_null(start);
	void *p = start;
	size_t group_changes = 0;
	for (size_t i = 0; i < links; i++) {
		size_t off = (size_t)((char *)p - buf);
		assert_int_equal(off % NB_LINE, 0);	 /* a line start, one per stride */
		assert_int_equal(seen[off / stride], 0); /* each slot once */
		used[off % stride / NB_LINE]++;
		line_of[off / stride] = (unsigned char)(off % stride / NB_LINE);
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
	/* Every line of the stride carries links, about equally (every cache set is used), and no
	 * rule ties a block's line to its neighbour's (a rotation, each block one line on from the
	 * last, read 4-6% low on an EPYC VM): as often as chance has it, 1 in `lines`. */
	if (lines > 1 && links / lines >= 64) {
		size_t rot = 0;
		for (size_t l = 0; l < lines; l++) {
			assert_true(used[l] > links / lines / 2);
			assert_true(used[l] < links / lines * 2);
		}
		for (size_t b = 0; b + 1 < links; b++)
			rot += line_of[b + 1] == (line_of[b] + 1) % lines;
		assert_true(rot < 2 * links / lines);
	}
	free(line_of);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_chase_is_one_cycle_with_locality),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
