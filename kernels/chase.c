/* numabench: pointer-chase kernel (dependent loads). */
#include "kernels.h"

#include <stdlib.h>

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void shuffle(size_t *v, size_t n, uint64_t *s)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)(splitmix(s) % i);
		size_t t = v[i - 1];
		v[i - 1] = v[j];
		v[j] = t;
	}
}

/* The line of block `block` a link uses: an independent hash of the block, so that every line
 * (every cache set) carries links and no pattern links one block's line to its neighbour's. A
 * fixed rotation (each run of `lines` blocks taking every line once) read 4-6% below multichase
 * at a 256 B stride on an EPYC VM (1 GiB, 4 KiB pages: 136-142 ns beside 143-148), where a hash
 * reads as multichase does (146-149): some part of the memory system used the regularity. */
static size_t link_line(size_t block, size_t lines)
{
	uint64_t s = block;
	return lines > 1 ? (size_t)(splitmix(&s) % lines) : 0;
}

void *nb_chase_build(void *buf, size_t len, size_t stride, size_t group, uint64_t seed)
{
	if (stride < NB_LINE || (stride & (stride - 1)))
		return NULL;
	size_t links = len / stride, per = group / stride;
	if (links < 2)
		return NULL;
	if (per < 1 || per > links)
		per = links;
	size_t ngroups = (links + per - 1) / per;
	size_t *order = malloc(sizeof(size_t) * links), *groups = malloc(sizeof(size_t) * ngroups);
	if (!order || !groups) {
		free(order);
		free(groups);
		return NULL;
	}
	for (size_t g = 0; g < ngroups; g++)
		groups[g] = g;
	shuffle(groups, ngroups, &seed);
	size_t k = 0;
	for (size_t gi = 0; gi < ngroups; gi++) {
		size_t first = groups[gi] * per, last = first + per > links ? links : first + per;
		size_t start = k;
		for (size_t l = first; l < last; l++)
			order[k++] = l;
		shuffle(order + start, k - start, &seed);
	}
	/* Each link sits on one line of its stride block, chosen by a hash of the block
	 * (multichase's mixer spreads its links too, but its 64 offsets repeat every 64 blocks, so
	 * a 256 B stride reaches a quarter of a large cache's sets): with the link always at offset
	 * 0, a 256 B stride used one cache set in four and the chain's cache footprint was a
	 * quarter of its size. */
	char *base = buf;
	size_t lines = stride / NB_LINE;
	for (size_t i = 0; i < links; i++) {
		size_t a = order[i], b = order[(i + 1) % links];
		*(void **)(base + a * stride + link_line(a, lines) * NB_LINE) =
		    base + b * stride + link_line(b, lines) * NB_LINE;
	}
	void *start = base + order[0] * stride + link_line(order[0], lines) * NB_LINE;
	free(order);
	free(groups);
	return start;
}

void *nb_chase_run(void *p, uint64_t n)
{
	void **q = p;
	/* Unrolled by 8: the loads stay dependent, the loop overhead shrinks. */
	for (; n >= 8; n -= 8) {
		q = *q;
		q = *q;
		q = *q;
		q = *q;
		q = *q;
		q = *q;
		q = *q;
		q = *q;
	}
	while (n--)
		q = *q;
	return q;
}
