/* LD_PRELOAD shim for tests/host/sets.sh: sched_getaffinity() answers like a kernel with
 * nr_cpu_ids 2048 (a mask of fewer bits is EINVAL, so the caller must grow its mask past glibc's
 * 1024-bit cpu_set_t) whose task may run on cpus 0-383: the 2x96-core SMT host whose allowed
 * list once lost cpus 282-383 in a 1 KiB string. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/types.h>

#define FAKE_NR_CPU_IDS 2048
#define FAKE_ALLOWED 384

int sched_getaffinity(pid_t pid, size_t size, cpu_set_t *set)
{
	(void)pid;
	if (size * 8 < FAKE_NR_CPU_IDS) {
		errno = EINVAL;
		return -1;
	}
	memset(set, 0, size);
	for (int i = 0; i < FAKE_ALLOWED; i++)
		CPU_SET_S(i, size, set);
	return 0;
}
