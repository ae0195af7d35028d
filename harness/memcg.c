/*
 * numabench: how much more memory the memory cgroup lets this process use.
 *
 * A node's free memory is not the whole story: in a container or a systemd slice the
 * memory cgroup's limit is reached first, and the kernel then OOM-kills the run instead of
 * refusing it. The headroom is the smallest (limit - working set) over the process's cgroup
 * and its ancestors, where the working set is usage minus inactive file cache (what the
 * kernel can drop without reclaiming anonymous memory, as kubelet counts it). cgroup v2
 * (memory.max, memory.current) and v1 (memory.limit_in_bytes, memory.usage_in_bytes) are
 * both read; the hierarchy's mount point comes from /proc/self/mountinfo. All paths are under
 * nb_fsroot(), so that unit tests replay captured trees.
 */
#include "memcg.h"

#include "nb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A cgroup file holding one number, or "max"; false when unreadable. */
static bool read_u64(const char *dir, const char *file, uint64_t *v)
{
	char path[PATH_MAX + 64], buf[64];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (nb_read_file(path, buf, sizeof(buf)))
		return false;
	if (strncmp(buf, "max", 3) == 0) {
		*v = UINT64_MAX;
		return true;
	}
	char *end;
	unsigned long long x = strtoull(buf, &end, 10);
	if (end == buf)
		return false;
	/* v1 says "unlimited" with PAGE_COUNTER_MAX * PAGE_SIZE, a little below 2^63 */
	*v = x >= (1ull << 62) ? UINT64_MAX : (uint64_t)x;
	return true;
}

/* One "key value" line of memory.stat, or 0. */
static uint64_t stat_value(const char *dir, const char *key)
{
	char path[PATH_MAX + 64], line[256];
	size_t klen = strlen(key);
	uint64_t v = 0;
	snprintf(path, sizeof(path), "%s%s/memory.stat", nb_fsroot(), dir);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, klen) == 0 && line[klen] == ' ') {
			v = strtoull(line + klen + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

/*
 * The directory of this process's memory cgroup: the mount point of the v2 hierarchy or of
 * the v1 hierarchy with the memory controller, joined with the path /proc/self/cgroup gives.
 * Returns 2 (v2), 1 (v1) or 0 (no memory cgroup found).
 */
static int memcg_dir(char *dir, size_t len, size_t *rootlen)
{
	char line[4096], v1path[PATH_MAX] = "", v2path[PATH_MAX] = "", path[PATH_MAX];
	bool have_v1 = false, have_v2 = false;
	snprintf(path, sizeof(path), "%s/proc/self/cgroup", nb_fsroot());
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		*c1 = *c2 = 0; /* line: hierarchy id, c1 + 1: controllers, c2 + 1: path */
		if (strcmp(line, "0") == 0 && c1[1] == 0) {
			snprintf(v2path, sizeof(v2path), "%s", c2 + 1);
			have_v2 = true;
		}
		char *save = NULL; /* strtok_r: buffers are allocated from several threads */
		for (char *t = strtok_r(c1 + 1, ",", &save); t; t = strtok_r(NULL, ",", &save))
			if (strcmp(t, "memory") == 0) {
				snprintf(v1path, sizeof(v1path), "%s", c2 + 1);
				have_v1 = true;
			}
	}
	fclose(f);
	snprintf(path, sizeof(path), "%s/proc/self/mountinfo", nb_fsroot());
	f = fopen(path, "re");
	if (!f)
		return 0;
	int kind = 0;
	while (fgets(line, sizeof(line), f)) {
		/* id parent maj:min root mountpoint options [tags] - fstype source superoptions */
		char root[PATH_MAX], mnt[PATH_MAX], fstype[32], super[1024];
		char *sep = strstr(line, " - ");
		if (!sep || sscanf(line, "%*s %*s %*s %4095s %4095s", root, mnt) != 2 ||
		    sscanf(sep + 3, "%31s %*s %1023s", fstype, super) != 2)
			continue;
		const char *rel = NULL;
		int k = 0;
		if (have_v1 && strcmp(fstype, "cgroup") == 0) {
			char *save = NULL;
			for (char *t = strtok_r(super, ",", &save); t;
			     t = strtok_r(NULL, ",", &save))
				if (strcmp(t, "memory") == 0)
					rel = v1path, k = 1;
		} else if (have_v2 && strcmp(fstype, "cgroup2") == 0 && kind != 1) {
			rel = v2path, k = 2;
		}
		if (!rel)
			continue;
		/* A mount of a sub-tree (a container's view) holds paths below its root. */
		size_t rl = strcmp(root, "/") == 0 ? 0 : strlen(root);
		if (rl && strncmp(rel, root, rl) == 0)
			rel += rl;
		snprintf(dir, len, "%s%s", mnt, rel);
		*rootlen = strlen(mnt);
		char probe[PATH_MAX + 32];
		snprintf(probe, sizeof(probe), "%s%s/%s", nb_fsroot(), dir,
			 k == 2 ? "memory.current" : "memory.usage_in_bytes");
		FILE *t = fopen(probe, "re");
		if (!t)
			continue;
		fclose(t);
		kind = k;
		if (k == 1) /* v1's memory controller wins over a v2 tree without it */
			break;
	}
	fclose(f);
	return kind;
}

uint64_t nb_memcg_headroom(struct nb_memcg *m)
{
	char dir[PATH_MAX];
	size_t rootlen = 0;
	memset(m, 0, sizeof(*m));
	m->headroom = UINT64_MAX;
	int kind = memcg_dir(dir, sizeof(dir), &rootlen);
	if (!kind)
		return m->headroom;
	const char *lim_f = kind == 2 ? "memory.max" : "memory.limit_in_bytes";
	const char *use_f = kind == 2 ? "memory.current" : "memory.usage_in_bytes";
	const char *inact = kind == 2 ? "inactive_file" : "total_inactive_file";
	for (;;) {
		uint64_t lim, use;
		if (read_u64(dir, lim_f, &lim) && lim != UINT64_MAX && read_u64(dir, use_f, &use)) {
			uint64_t cache = stat_value(dir, inact);
			uint64_t ws = use > cache ? use - cache : 0;
			uint64_t head = lim > ws ? lim - ws : 0;
			if (head < m->headroom) {
				m->headroom = head;
				m->limit = lim;
				m->usage = ws;
				snprintf(m->cgroup, sizeof(m->cgroup), "%s", dir);
			}
		}
		char *slash = strrchr(dir, '/');
		if (!slash || (size_t)(slash - dir) < rootlen)
			break;
		*slash = 0;
	}
	return m->headroom;
}
