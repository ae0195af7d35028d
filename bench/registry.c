/* numabench: the one list of benches. `numabench list` and name lookup come from it. */
#include "bench.h"

#include <string.h>

/* X(name): each bench file defines `const struct nb_bench nb_bench_<name>`. */
#define NB_BENCH_LIST(X)                                                                           \
	X(latency)                                                                                 \
	X(bandwidth)                                                                               \
	X(fault) X(balance) X(gup) X(migrate) X(loaded) X(c2c) X(tier)

#define NB_DECLARE(n) extern const struct nb_bench nb_bench_##n;
NB_BENCH_LIST(NB_DECLARE)
#define NB_ENTRY(n) &nb_bench_##n,
const struct nb_bench *const nb_benches[] = {NB_BENCH_LIST(NB_ENTRY) NULL};

const struct nb_bench *nb_bench_find(const char *name)
{
	for (int i = 0; nb_benches[i]; i++)
		if (!strcmp(nb_benches[i]->name, name))
			return nb_benches[i];
	return NULL;
}
