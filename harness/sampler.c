/* numabench: /proc/vmstat and /proc/PID/sched samplers. Neither touches the measured
 * process's memory, so neither can take a NUMA hinting fault on its behalf. */
#include "sampler.h"

#include <numa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NB_VMSTAT_NAME(n) #n,
const char *const nb_vmstat_names[NB_VM_COUNT] = {NB_VMSTAT_FIELDS(NB_VMSTAT_NAME)};

int nb_vmstat_read(struct nb_vmstat *s)
{
	char path[256], name[64];
	long long val;
	snprintf(path, sizeof(path), "%s/proc/vmstat", nb_fsroot());
	for (int i = 0; i < NB_VM_COUNT; i++)
		s->v[i] = -1;
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	while (fscanf(f, "%63s %lld", name, &val) == 2)
		for (int i = 0; i < NB_VM_COUNT; i++)
			if (!strcmp(name, nb_vmstat_names[i])) {
				s->v[i] = val;
				break;
			}
	fclose(f);
	return 0;
}

void nb_vmstat_delta(const struct nb_vmstat *a, const struct nb_vmstat *b, struct nb_vmstat *out)
{
	for (int i = 0; i < NB_VM_COUNT; i++)
		out->v[i] = (a->v[i] < 0 || b->v[i] < 0) ? -1 : b->v[i] - a->v[i];
}

json_t *nb_vmstat_json(const struct nb_vmstat *s)
{
	json_t *o = json_object();
	for (int i = 0; i < NB_VM_COUNT; i++)
		if (s->v[i] >= 0)
			json_object_set_new(o, nb_vmstat_names[i], json_integer(s->v[i]));
	return o;
}

static int64_t field(const char *buf, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = strstr(buf, name); p; p = strstr(p + 1, name)) {
		/* whole key at line start, followed by spaces and ':' */
		if ((p == buf || p[-1] == '\n') && (p[n] == ' ' || p[n] == ':')) {
			const char *c = strchr(p, ':');
			return c ? strtoll(c + 1, NULL, 10) : -1;
		}
	}
	return -1;
}

int nb_sched_numa_read(int pid, int tid, struct nb_sched_numa *s)
{
	char path[128], buf[8192];
	if (tid > 0)
		snprintf(path, sizeof(path), "/proc/%d/task/%d/sched", pid, tid);
	else
		snprintf(path, sizeof(path), "/proc/%d/sched", pid);
	if (nb_read_file(path, buf, sizeof(buf)))
		return -1;
	s->numa_scan_seq = field(buf, "numa_scan_seq");
	s->numa_pages_migrated = field(buf, "numa_pages_migrated");
	s->numa_preferred_nid = field(buf, "numa_preferred_nid");
	s->total_numa_faults = field(buf, "total_numa_faults");
	s->mm_numa_scan_seq = field(buf, "mm->numa_scan_seq");
	/* sched_show_numa() prints "current_node=%d, numa_group_id=%d" on one line (0 = no
	 * group), not a "key: value" line (kernel/sched/debug.c, 6.1 and 6.12). */
	const char *g = strstr(buf, "numa_group_id=");
	s->numa_group_id = g ? strtoll(g + strlen("numa_group_id="), NULL, 10) : -1;
	/* current cpu: field 39 of /proc/PID/task/TID/stat */
	if (tid > 0)
		snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	else
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	s->cur_node = -1;
	if (nb_read_file(path, buf, sizeof(buf)) == 0) {
		const char *p = strrchr(buf, ')');
		int f = 2, cpu = -1;
		for (; p && *p; p++)
			if (*p == ' ' && ++f == 39) {
				cpu = atoi(p + 1);
				break;
			}
		if (cpu >= 0)
			s->cur_node = numa_node_of_cpu(cpu);
	}
	return 0;
}

json_t *nb_sched_numa_json(const struct nb_sched_numa *s)
{
	return json_pack(
	    "{s:I,s:I,s:I,s:I,s:I,s:I,s:i}", "numa_scan_seq", (json_int_t)s->numa_scan_seq,
	    "numa_pages_migrated", (json_int_t)s->numa_pages_migrated, "numa_preferred_nid",
	    (json_int_t)s->numa_preferred_nid, "total_numa_faults",
	    (json_int_t)s->total_numa_faults, "mm_numa_scan_seq", (json_int_t)s->mm_numa_scan_seq,
	    "numa_group_id", (json_int_t)s->numa_group_id, "cur_node", s->cur_node);
}

int nb_task_faults(int pid, int64_t *minflt, int64_t *majflt)
{
	char path[64], buf[2048];
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (nb_read_file(path, buf, sizeof(buf)))
		return -1;
	/* fields after the command: 3 state ... 10 minflt, 12 majflt */
	const char *p = strrchr(buf, ')');
	long long v[16] = {0};
	int f = 2;
	for (; p && *p && f < 13; p++)
		if (*p == ' ') {
			f++;
			v[f < 16 ? f : 15] = strtoll(p + 1, NULL, 10);
		}
	*minflt = v[10];
	*majflt = v[12];
	return 0;
}
