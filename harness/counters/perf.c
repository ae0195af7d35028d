/* numabench counters: perf_event_open in groups, the reasons a counter cannot be opened, and
 * reading with PERF_FORMAT_GROUP|ID|TOTAL_TIME_ENABLED|RUNNING. */
#include "counters_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

static int perf_open(struct perf_event_attr *a, pid_t tid, int cpu, int group)
{
	return (int)syscall(SYS_perf_event_open, a, tid, cpu, group, PERF_FLAG_FD_CLOEXEC);
}

static void perm_reason(struct counter *k, int e, pid_t tid)
{
	int par = paranoid();
	bool cap = perf_capable();
	if (par >= 3 && !cap)
		counter_unavailable(k, e, "perf_event_paranoid=%d denies non-root", par);
	else if (tid == -1 && !cap)
		counter_unavailable(
		    k, e, "perf_event_paranoid=%d denies system-wide counting to non-root", par);
	else if (k->kind == K_TP && !cap)
		counter_unavailable(
		    k, e,
		    "perf_event_paranoid=%d denies kernel-mode counting (tracepoints) to "
		    "non-root",
		    par);
	else if (tid > 0)
		counter_unavailable(k, e, "no ptrace access to thread %d", (int)tid);
	else
		counter_unavailable(k, e,
				    "permission denied (needs CAP_PERFMON or a lower "
				    "perf_event_paranoid, now %d)",
				    par);
}

static void open_reason(struct counter *k, int e, pid_t tid)
{
	switch (e) {
	case ENOENT:
	case EOPNOTSUPP:
	case ENODEV:
		if (k->kind == K_HW && !hw_pmu_present())
			counter_unavailable(k, e, "%s", no_pmu_reason());
		else
			counter_unavailable(k, e, "not supported by this %s",
					    k->kind == K_HW ? "PMU" : "kernel");
		break;
	case EACCES:
	case EPERM:
		perm_reason(k, e, tid);
		break;
	case EBUSY:
		counter_unavailable(k, e,
				    "counter busy (another tool or the NMI watchdog holds it)");
		break;
	case EMFILE:
	case ENFILE:
		counter_unavailable(k, e, "too many open files");
		break;
	case ESRCH:
		counter_unavailable(k, e, "no such thread %d", (int)tid);
		break;
	case ENOSYS:
		counter_unavailable(k, e, "kernel built without perf events");
		break;
	default:
		counter_unavailable(k, e, "perf_event_open: %s", strerror(e));
	}
}

void counters_close(struct nb_counters *c)
{
	for (int i = 0; i < c->n; i++) {
		struct counter *k = &c->v[i];
		if (k->fd >= 0 && !c->parent)
			close(k->fd);
		k->fd = k->leader = -1;
		k->read_ok = false;
		if (k->encoded) {
			k->err = 0;
			k->reason[0] = 0;
		}
	}
}

static struct perf_event_attr attr_of(const struct counter *k, bool inherit)
{
	struct perf_event_attr a = k->attr;
	a.size = sizeof(a);
	a.read_format = PERF_FORMAT_GROUP | PERF_FORMAT_ID | PERF_FORMAT_TOTAL_TIME_ENABLED |
			PERF_FORMAT_TOTAL_TIME_RUNNING;
	a.inherit = inherit;
	return a;
}

/*
 * Open k into the group led by *leader (or as a new leader). A hardware event the PMU's group
 * validation refuses (EINVAL: counter constraints the description does not know) gets a group
 * of its own where rotation is allowed (a user list, or a PMU we could not size); in the
 * default set on a known PMU it is not scheduled, so that the set stays one round.
 */
static void open_one(struct nb_counters *c, int i, int *leader, pid_t tid, int cpu, bool inherit)
{
	struct counter *k = &c->v[i];
	struct perf_event_attr a = attr_of(k, inherit);
	a.disabled = *leader < 0;
	int gfd = *leader < 0 ? -1 : c->v[*leader].fd;
	int fd = perf_open(&a, tid, cpu, gfd);
	if (fd < 0 && errno == EINVAL && gfd >= 0 && k->kind == K_HW) {
		if (c->pmu.known && !c->rotate) {
			counter_unavailable(k, EINVAL,
					    "not scheduled: the PMU refused it in the group of %s "
					    "(event constraints)",
					    c->v[*leader].event);
			return;
		}
		a.disabled = 1;
		fd = perf_open(&a, tid, cpu, -1);
		if (fd >= 0)
			*leader = -1;
	}
	if (fd < 0) {
		open_reason(k, errno, tid);
		return;
	}
	if (ioctl(fd, PERF_EVENT_IOC_ID, &k->id) < 0) {
		open_reason(k, errno, tid);
		close(fd);
		return;
	}
	k->fd = fd;
	if (*leader < 0)
		*leader = i;
	k->leader = *leader;
}

/* Whether hardware event k opens on its own here (what the grouping may count on); the
 * reason is recorded when it does not. */
static bool opens_alone(struct counter *k, pid_t tid, int cpu)
{
	struct perf_event_attr a = attr_of(k, false);
	a.disabled = 1;
	int fd = perf_open(&a, tid, cpu, -1);
	if (fd < 0) {
		open_reason(k, errno, tid);
		return false;
	}
	close(fd);
	return true;
}

static const char *watchdog_note(const struct nb_pmu *p)
{
	if (!p->nmi_watchdog)
		return "";
	return p->fixed & NB_FIXED(NB_NEED_CYCLES)
		   ? "; the NMI watchdog holds the fixed cycles counter"
		   : "; the NMI watchdog holds one of them";
}

/* Group the counters that open on their own (a known PMU) or all encoded ones (the kernel
 * decides) into group[]; those the grouping leaves out say why. */
static void plan_groups(struct nb_counters *c, pid_t tid, int cpu, int *group)
{
	bool *usable = calloc((size_t)c->n + 1, sizeof(*usable));
	enum nb_need *need = calloc((size_t)c->n + 1, sizeof(*need));
	if (!usable || !need) {
		nb_err("out of memory for counters");
		exit(NB_EXIT_ENV);
	}
	for (int i = 0; i < c->n; i++) {
		struct counter *k = &c->v[i];
		usable[i] =
		    k->encoded && (k->kind != K_HW || !c->pmu.known || opens_alone(k, tid, cpu));
	}
	struct nb_grouping r = group_set(c, &c->pmu, usable, group, need);
	for (int i = 0; i < c->n; i++)
		if (group[i] == NB_NOT_SCHEDULED)
			counter_unavailable(&c->v[i], 0,
					    "not scheduled: the hardware events need %d general "
					    "counters, the PMU (%s) has %d free%s",
					    r.hw_need, c->pmu.name, r.free_gen,
					    watchdog_note(&c->pmu));
	free(usable);
	free(need);
}

int nb_counters_open(struct nb_counters *c, pid_t tid, int cpu, bool inherit)
{
	if (!c || c->parent || tid < -1 || cpu < -1 || (tid == -1 && cpu < 0))
		return -1;
	counters_close(c);
	if (!c->pmu_set) {
		nb_pmu_detect(&c->pmu);
		c->pmu_set = true;
	}
	/* inherit only acts on task contexts, copied at fork (kernel/events/core.c
	 * perf_event_init_task); a per-cpu event has none. */
	inherit = inherit && tid != -1;
	int avail = 0, *group = calloc((size_t)c->n + 1, sizeof(*group));
	if (!group)
		return -1;
	plan_groups(c, tid, cpu, group);
	for (int g = 0, more = 1; more; g++) {
		int leader = -1;
		more = 0;
		for (int i = 0; i < c->n; i++) {
			more |= group[i] > g;
			if (group[i] == g)
				open_one(c, i, &leader, tid, cpu, inherit);
		}
	}
	free(group);
	for (int i = 0; i < c->n; i++)
		avail += c->v[i].fd >= 0;
	free(c->buf);
	c->buflen = (3 + 2 * (size_t)c->n) * sizeof(uint64_t);
	c->buf = malloc(c->buflen);
	return c->buf ? avail : -1;
}

static struct counter *by_id(struct nb_counters *c, int leader, uint64_t id)
{
	for (int i = leader; i < c->n; i++)
		if (c->v[i].leader == leader && c->v[i].id == id)
			return &c->v[i];
	return NULL;
}

/* Group read layout: { nr, time_enabled, time_running, { value, id }[nr] }
 * (include/uapi/linux/perf_event.h, read_format). With inherit the kernel sums the
 * children's counts and times (kernel/events/core.c perf_read_group). */
static int read_group(struct nb_counters *c, int leader)
{
	uint64_t *b = c->buf;
	ssize_t n = read(c->v[leader].fd, b, c->buflen);
	if (n >= 0 && n < (ssize_t)(3 * sizeof(uint64_t)))
		errno = EIO;
	if (n < (ssize_t)(3 * sizeof(uint64_t)))
		return -1;
	for (uint64_t j = 0; j < b[0] && (3 + 2 * j + 2) * sizeof(uint64_t) <= (size_t)n; j++) {
		struct counter *k = by_id(c, leader, b[4 + 2 * j]);
		if (!k)
			continue;
		k->cur_val = b[3 + 2 * j];
		k->cur_ena = b[1];
		k->cur_run = b[2];
		k->read_ok = true;
	}
	return 0;
}

static void group_failed(struct nb_counters *c, int leader, int e)
{
	for (int i = leader; i < c->n; i++)
		if (c->v[i].leader == leader)
			counter_unavailable(&c->v[i], e, "read failed: %s", strerror(e));
}

int read_all(struct nb_counters *c)
{
	int r = 0;
	for (int i = 0; c->buf && i < c->n; i++)
		if (c->v[i].leader == i && read_group(c, i)) {
			group_failed(c, i, errno);
			r = -1;
		}
	return r;
}

static void ioctl_leaders(struct nb_counters *c, unsigned long req)
{
	for (int i = 0; i < c->n; i++)
		if (c->v[i].leader == i)
			ioctl(c->v[i].fd, req, PERF_IOC_FLAG_GROUP);
}

/* RESET zeroes counts but neither the enabled/running times nor counts folded in from
 * exited inherited children (kernel/events/core.c _perf_event_reset, perf_event_count):
 * the values reported are differences against a read taken here. */
void perf_start(struct nb_counters *c)
{
	ioctl_leaders(c, PERF_EVENT_IOC_RESET);
	read_all(c);
	for (int i = 0; i < c->n; i++) {
		struct counter *k = &c->v[i];
		k->base_val = k->cur_val;
		k->base_ena = k->cur_ena;
		k->base_run = k->cur_run;
	}
	ioctl_leaders(c, PERF_EVENT_IOC_ENABLE);
}

void perf_stop(struct nb_counters *c)
{
	ioctl_leaders(c, PERF_EVENT_IOC_DISABLE);
	read_all(c);
}

void nb_counters_free(struct nb_counters *c)
{
	if (!c)
		return;
	counters_close(c);
	free(c->v);
	free(c->buf);
	free(c);
}
