/* numabench: topology (hwloc) and capabilities of this machine. */
#ifndef NB_TOPO_H
#define NB_TOPO_H

#include "nb.h"
#include "sets.h"

/* Nodes a topology may have (arrays indexed by position); their ids go up to NB_MAX_NODE_ID. */
#define NB_MAX_NODES 64
/* Cpus have no ceiling: every cpu list and every array indexed by cpu id is sized from the
 * topology when it is loaded (nb_topo.cpu_slots, nb_ctx.ncpus). A parameter that names cpu ids
 * or counts threads accepts up to NB_CPU_PARAM_MAX, far above any kernel's NR_CPUS (8192 at
 * most), so that a value never wraps an int. */
#define NB_CPU_PARAM_MAX 0x3fffffff

struct nb_node {
	int id;		       /* OS node id (sparse ids kept as they are) */
	int *cpus;	       /* ncpus ids, increasing; owned by the topology (nb_topo_free) */
	int ncpus;	       /* 0 for a memory-only node */
	uint64_t memory_bytes; /* total */
	char kind[24];	       /* hwloc's subtype: DRAM, MCDRAM, HBM, NVM, SPM, GPUMemory, CXLMem;
				* "" when hwloc names none */
};

/* Memory tiers as the kernel shows them (/sys/devices/virtual/memory_tiering, 6.1+): each
 * memory_tierN folder is a tier (lower N = faster), its nodelist the nodes in it. Read
 * through nb_fsroot() so tests replay a captured tree. */
#define NB_MAX_TIERS 32
struct nb_tier {
	int id; /* N of memory_tierN */
	int nodes[NB_MAX_NODES];
	int nnodes;
};
struct nb_tiering {
	bool present; /* the memory_tiering folder exists */
	int ntiers;   /* sorted by id: tiers[0] is the top (fastest) tier */
	struct nb_tier tiers[NB_MAX_TIERS];
	int demotion_enabled; /* /sys/kernel/mm/numa/demotion_enabled: 1, 0, -1 absent */
	char reason[160];     /* why there is no tier information, "" when present */
	/* Where the tiers come from: "" for the kernel's (TIERING_DIR, live or a /sys replay);
	 * in an XML replay, the file's MemoryTier infos (hwloc 2.10+ annotates each NUMA node
	 * with the index of hwloc's own tier, 0 the fastest; ids are then those indexes). */
	char source[96];
};
/* 0, or -1 with t->reason when the kernel publishes no tiers (t is then valid: present false). */
int nb_tiering_read(struct nb_tiering *t);
/* Index in t->tiers of the tier holding node, -1 when none does. */
int nb_tiering_tier_of(const struct nb_tiering *t, int node);
/* The first of nodes[0..n) in the nearest tier below node's tier (the demotion target a tiering
 * bench uses as "slow"), or -1 with why: "no memory tier below node X: the kernel assigned all
 * nodes to tier N", "... node X is in the lowest tier N", "... the kernel publishes none". */
int nb_tiering_lower_node(const struct nb_tiering *t, int node, const int *nodes, int n, char *why,
			  size_t len);
/* {"tiers":[{"id":4,"nodes":[0,1]},...],"demotion_enabled":bool|null,"source":...,"reason"?} */
json_t *nb_tiering_json(const struct nb_tiering *t);

struct nb_topo {
	int nnodes;
	struct nb_node nodes[NB_MAX_NODES]; /* sorted by id */
	int ncpus;			    /* online PUs */
	/* One past the highest cpu id the topology knows (online or not, at least 1): the
	 * length of an array indexed by cpu id and the size of its cpu bitmaps. */
	int cpu_slots;
	int *cpu_node; /* cpu id -> node id (-1: none), cpu_slots entries; NULL when not built */
	void **pu_obj; /* cpu id -> hwloc's PU object (hwloc_obj_t) or NULL, cpu_slots entries:
			* hwloc's own lookup by os index walks every PU */
	/* distances[i][j]: from nodes[i] to nodes[j] (hwloc relative distances / SLIT);
	 * 0 when the platform publishes none. */
	uint64_t distances[NB_MAX_NODES][NB_MAX_NODES];
	bool have_distances;
	json_t *memattrs; /* HMAT/memattr values (object), or NULL */
	json_t *caches;	  /* array of cache levels/sizes */
	int smt;	  /* PUs per core */
	void *hwloc;	  /* hwloc_topology_t */
	/* Loaded from NUMABENCH_TOPOLOGY (or hwloc's own HWLOC_XMLFILE/HWLOC_SYNTHETIC): not this
	 * machine. Node cpus, cpu states and the allowed sets then come from the replay alone. */
	bool replayed;
	/* A replay of a captured /proc and /sys tree (NUMABENCH_FSROOT, handed to hwloc as
	 * HWLOC_FSROOT): sysfs under the fsroot is the replayed machine's. */
	bool fsroot_replay;
	struct bitmask *cpuset;	   /* cpus of all nodes */
	struct bitmask *nodeset;   /* ids of all nodes */
	struct nb_tiering tiering; /* memory tiers (sysfs: this machine's or the replayed tree's) */
	/* What was read: "live", "fsroot:DIR", "xml:FILE" or "synthetic:DESCRIPTION". */
	char source[4200];
	json_t *warnings; /* array of one-line strings: what the source got inconsistent */
	/* /sys/devices/system/node/possible (live or a /sys replay): the ids the kernel may
	 * ever use, "" when unknown (XML, synthetic) */
	char possible_nodes[256];
};

struct nb_caps {
	bool root;
	int perf_event_paranoid; /* -99 when unreadable */
	bool pmu;		 /* a hardware cycles event opens */
	bool debugfs, tracefs;
	char thp[32];	    /* always|madvise|never, "" when absent */
	int numa_balancing; /* -1 when the kernel has none */
	int proc_mem_force; /* 1 FOLL_FORCE effective, 0 not, -1 unknown */
	int ptrace_scope;   /* -1 when no Yama */
	/* Allowed nodes (cgroup cpuset.mems effective) and cpus (affinity), whole: printed as
	 * range lists ("0-95,192-287"). Owned; nb_caps_free releases them. */
	struct bitmask *allowed_nodes, *allowed_cpus;
	char virt[32];	      /* "none", "kvm", "qemu-tcg", ... (CPUID hypervisor vendor leaf) */
	char virt_source[16]; /* what named virt: "cpuid" (x86), "midr", "devicetree" (arm64) */
	/* Whose capabilities these are: "" for this live host; on a replay, which fields are this
	 * host's (an XML or synthetic replay carries none; a /sys capture no live syscall). */
	char replay_note[160];
	char cmdline_accel[16]; /* numabench.accel= on the kernel command line, "" when absent */
	/* Timings: what nb_timing_detect decided. */
	char accel[32];		 /* "tcg", "kvm", "none" (no hypervisor), or the hypervisor */
	bool timing_emulated;	 /* timings come from an emulator (QEMU TCG), not hardware */
	char timing_source[32];	 /* what decided: "cpuid", "cmdline", "NUMABENCH_EMULATED" */
	char timing_reason[192]; /* one sentence for people */
};

/* Load the topology; -1 with a message on failure (also when a node id is beyond
 * NB_MAX_NODE_ID or there are more than NB_MAX_NODES nodes: never silently dropped; cpus have
 * no limit), NB_TOPO_BAD_INPUT when NUMABENCH_TOPOLOGY names a file or description hwloc cannot
 * read (the message names it and why). NUMABENCH_TOPOLOGY replays a topology instead of this
 * machine's: "synthetic:DESCRIPTION" (hwloc synthetic syntax, e.g.
 * "synthetic:package:2 numa:4 core:32 pu:2") or the path of an hwloc XML file (lstopo t.xml,
 * hwloc 1.x or 2.x). NUMABENCH_FSROOT replays a captured /proc and /sys tree. */
#define NB_TOPO_BAD_INPUT (-2)
int nb_topo_load(struct nb_topo *t);
/* The exit code of a failed nb_topo_load: NB_EXIT_USAGE for bad input, else NB_EXIT_ENV. */
int nb_topo_exit_code(int load_rc);
void nb_topo_free(struct nb_topo *t);
const struct nb_node *nb_topo_node(const struct nb_topo *t, int id);
/* Node of a cpu, or -1. */
int nb_topo_cpu_node(const struct nb_topo *t, int cpu);
/* Why a cpu cannot be used although named: "does not exist", "is offline", or NULL when it is
 * online (a replay: the replayed complete and online cpusets; else sysfs). */
const char *nb_topo_cpu_state(const struct nb_topo *t, int cpu);
/* Free memory of a node in bytes (libnuma), or 0 if unknown. */
uint64_t nb_node_free_bytes(int node);
json_t *nb_topo_json(const struct nb_topo *t);

/* Capabilities; the allowed sets of a replayed topology are the replay's. */
void nb_caps_probe(struct nb_caps *c, const struct nb_topo *t);
void nb_caps_free(struct nb_caps *c);
json_t *nb_caps_json(const struct nb_caps *c);
/*
 * arm64 (no CPUID): the virtualization a guest shows, from /proc/cpuinfo and the device tree's
 * root compatible (NUL-separated strings, dt_len bytes). "CPU implementer : 0x00" (reserved for
 * software use: QEMU's TCG cpus -cpu max/a64fx... report it; a KVM guest sees the host's MIDR)
 * gives "qemu-tcg" from "midr"; else "linux,dummy-virt" (QEMU's virt board) gives "qemu-virt"
 * from "devicetree" (virtualized; the accelerator then comes from the command line); else
 * "none". Pure: the caller reads the files.
 */
void nb_arm_virt(const char *cpuinfo, const char *dt_compat, size_t dt_len, char *virt, size_t vlen,
		 char *src, size_t slen);
/* The value of numabench.accel= in a kernel command line into out ("" when absent). */
void nb_cmdline_accel(const char *cmdline, char *out, size_t len);
/*
 * Decide whether timings here are emulated (QEMU TCG) from c->virt (CPUID leaf 0x40000000:
 * "TCGTCGTCGTCG" is QEMU's TCG), then c->cmdline_accel (the guest runner boots with
 * numabench.accel=tcg|kvm), then env (NUMABENCH_EMULATED=0|1 overrides both). Fills accel,
 * timing_emulated, timing_source, timing_reason. -1 with err when env is not "", "0" or "1".
 */
int nb_timing_detect(struct nb_caps *c, const char *env, char *err, size_t errlen);

#endif
