/* numabench counters: libpfm4, encoding event names (pfm_get_os_event_encoding with
 * PFM_OS_PERF_EVENT_EXT), finding names of other CPUs, and the core PMU detected here. */
#include "counters_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int pfm_state = -1;

bool pfm_ready(void)
{
	if (pfm_state == -1)
		pfm_state = pfm_initialize();
	return pfm_state == PFM_SUCCESS;
}

/* Encode with libpfm4 into k; returns a PFM_* code. */
int pfm_encode(struct counter *k, const char *name)
{
	char *fstr = NULL;
	pfm_perf_encode_arg_t arg;
	pfm_event_info_t ei;
	pfm_pmu_info_t pi;
	if (!pfm_ready())
		return pfm_state;
	memset(&arg, 0, sizeof(arg));
	memset(&k->attr, 0, sizeof(k->attr));
	arg.size = sizeof(arg);
	arg.attr = &k->attr;
	arg.fstr = &fstr;
	int plm = PFM_PLM3 | (kernel_allowed() ? PFM_PLM0 : 0);
	int r = pfm_get_os_event_encoding(name, plm, PFM_OS_PERF_EVENT_EXT, &arg);
	if (r != PFM_SUCCESS)
		return r;
	snprintf(k->encoding, sizeof(k->encoding), "%s", fstr);
	free(fstr);
	memset(&ei, 0, sizeof(ei));
	memset(&pi, 0, sizeof(pi));
	ei.size = sizeof(ei);
	pi.size = sizeof(pi);
	if (pfm_get_event_info(arg.idx, PFM_OS_NONE, &ei) == PFM_SUCCESS &&
	    pfm_get_pmu_info(ei.pmu, &pi) == PFM_SUCCESS)
		snprintf(k->pmu, sizeof(k->pmu), "%s", pi.name);
	k->kind = k->attr.type == PERF_TYPE_SOFTWARE	 ? K_SW
		  : k->attr.type == PERF_TYPE_TRACEPOINT ? K_TP
							 : K_HW;
	k->encoded = true;
	return PFM_SUCCESS;
}

bool sw_encode(struct counter *k, const char *name)
{
	for (size_t i = 0; i < N_SW; i++) {
		if (strcmp(name, sw_events[i].name))
			continue;
		memset(&k->attr, 0, sizeof(k->attr));
		k->attr.type = PERF_TYPE_SOFTWARE;
		k->attr.config = sw_events[i].config;
		k->attr.exclude_kernel = !kernel_allowed();
		snprintf(k->encoding, sizeof(k->encoding), "software type=%u config=%u%s",
			 PERF_TYPE_SOFTWARE, sw_events[i].config,
			 k->attr.exclude_kernel ? " exclude_kernel" : "");
		k->kind = K_SW;
		k->encoded = true;
		return true;
	}
	return false;
}

/* Does attribute (umask or modifier) `tok` exist for libpfm4 event idx? */
static bool pfm_has_attr(int idx, int nattrs, const char *tok, size_t len)
{
	pfm_event_attr_info_t ai;
	for (int a = 0; a < nattrs; a++) {
		memset(&ai, 0, sizeof(ai));
		ai.size = sizeof(ai);
		if (pfm_get_event_attr_info(idx, a, PFM_OS_NONE, &ai) == PFM_SUCCESS &&
		    strlen(ai.name) == len && !strncasecmp(ai.name, tok, len))
			return true;
	}
	return false;
}

/* Every ':'/'.'-separated token after the event name is an attribute of event idx
 * (tokens "x=v" are checked by name only). */
static bool pfm_attrs_match(int idx, int nattrs, const char *rest)
{
	while (*rest) {
		rest++;
		size_t len = strcspn(rest, ":.");
		size_t name_len = strcspn(rest, "=:.");
		if (!len || !pfm_has_attr(idx, nattrs, rest, name_len))
			return false;
		rest += len;
	}
	return true;
}

static bool pfm_pmu_has(const pfm_pmu_info_t *pi, const char *ev, size_t evlen, const char *rest)
{
	pfm_event_info_t ei;
	for (int e = pi->first_event; e != -1; e = pfm_get_event_next(e)) {
		memset(&ei, 0, sizeof(ei));
		ei.size = sizeof(ei);
		if (pfm_get_event_info(e, PFM_OS_NONE, &ei) != PFM_SUCCESS)
			continue;
		if (strlen(ei.name) == evlen && !strncasecmp(ei.name, ev, evlen) &&
		    pfm_attrs_match(e, ei.nattrs, rest))
			return true;
	}
	return false;
}

/* Search the PMUs libpfm4 knows but did not detect here for "[pmu::]EVENT[:.]UMASK...":
 * a valid name for another CPU is kept as unavailable rather than rejected. */
bool pfm_find_inactive(const char *name, char *pmu, size_t pmulen, char *desc, size_t desclen)
{
	pfm_pmu_info_t pi;
	const char *sep = strstr(name, "::");
	const char *ev = sep ? sep + 2 : name;
	size_t evlen = strcspn(ev, ":.");
	int i;
	if (!pfm_ready() || !evlen)
		return false;
	pfm_for_all_pmus(i)
	{
		memset(&pi, 0, sizeof(pi));
		pi.size = sizeof(pi);
		if (pfm_get_pmu_info(i, &pi) != PFM_SUCCESS || pi.is_present)
			continue;
		if (sep && (strlen(pi.name) != (size_t)(sep - name) ||
			    strncasecmp(pi.name, name, sep - name)))
			continue;
		if (pfm_pmu_has(&pi, ev, evlen, ev + evlen)) {
			snprintf(pmu, pmulen, "%s", pi.name);
			snprintf(desc, desclen, "%s", pi.desc ? pi.desc : pi.name);
			return true;
		}
	}
	return false;
}

/* The first libpfm4 core PMU detected here (libpfm4's vendor/family/model detection). */
const char *pfm_core_pmu(void)
{
	static pfm_pmu_info_t pi;
	int i;
	if (!pfm_ready())
		return NULL;
	pfm_for_all_pmus(i)
	{
		memset(&pi, 0, sizeof(pi));
		pi.size = sizeof(pi);
		if (pfm_get_pmu_info(i, &pi) == PFM_SUCCESS && pi.is_present &&
		    pi.type == PFM_PMU_TYPE_CORE)
			return pi.name;
	}
	return NULL;
}

const struct model *model_for(const char *pmu)
{
	size_t len = pmu ? strlen(pmu) : 0;
	for (size_t m = 0; pmu && m < N_MODELS; m++)
		for (const char *p = models[m].pmus; *p; p += strspn(p, " ")) {
			size_t w = strcspn(p, " ");
			if (w == len && !strncmp(p, pmu, len))
				return &models[m];
			p += w;
		}
	return NULL;
}
