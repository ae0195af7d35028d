/* numabench: the main thread's cpu affinity saved before a bench and restored after it. */
#include "affinity.h"
#include "sets.h"

#include <errno.h>

struct bitmask *nb_affinity_save(void)
{
	struct bitmask *m = numa_allocate_cpumask();
	if (numa_sched_getaffinity(0, m) < 0) {
		int e = errno;
		numa_free_cpumask(m);
		errno = e;
		return NULL;
	}
	return m;
}

json_t *nb_affinity_restore(struct bitmask *saved)
{
	if (!saved)
		return json_null();
	struct bitmask *now = nb_affinity_save();
	bool same = now && numa_bitmask_equal(now, saved);
	bool restored = same || numa_sched_setaffinity(0, saved) == 0;
	json_t *rec = json_pack("{s:o,s:o,s:b}", "main_thread", nb_set_json(saved), "bench_left",
				now ? nb_set_json(now) : json_null(), "restored", restored);
	if (now)
		numa_free_cpumask(now);
	numa_free_cpumask(saved);
	return rec;
}
