/* numabench: the QEMU NUMA guest runner (`numabench guest`); its parts are in harness/guest/. */
#ifndef NB_GUEST_H
#define NB_GUEST_H

#include <stdbool.h>

/*
 * numabench guest [--arch x86_64|arm64] [--kernel 6.1|6.12|PATH] [--topology NAME|FILE]
 *                 [--append ARGS] [--icount] [--timeout SEC] [--keep] [-o FILE] -- ARGS...
 *
 * Boots a QEMU guest with the NUMA topology of configs/guests/NAME.json on a Debian kernel
 * (fetched with apt-get download, never installed) or any bzImage, runs `numabench ARGS`
 * inside, and writes the JSON it produced to FILE (default
 * results/guest-TOPOLOGY-KERNEL-UTCSTAMP.json), the guest console to FILE.console.log.
 * argv[0] == "guest". Returns the guest run's exit code, or an enum nb_exit of its own:
 * NB_EXIT_USAGE for bad arguments or configs, NB_EXIT_GUEST when the guest did not boot,
 * hung, or returned no results. The command line is parsed in cli/cmd_guest.c.
 *
 * Environment: NUMABENCH_CACHE (kernels, initramfs, KVM probe; default
 * .cache/numabench under the source tree), NUMABENCH_DATA (folder holding configs/ and
 * harness/initramfs/, see paths.h), NUMABENCH_CONFIGS (the suites copied into the guest),
 * NUMABENCH_QEMU (emulator binary), NUMABENCH_ACCEL (tcg|kvm|auto), NUMABENCH_GUEST_BINARY
 * (numabench binary to put in the guest; default this one).
 */
int nb_cmd_guest(int argc, char **argv);

#define NB_GUEST_DEFAULT_TIMEOUT 600

/* One guest run, as the command line asked for it. */
struct nb_guest_opts {
	const char *kernel, *topology, *out, *script; /* out, script: NULL when not given */
	char append[1024];			      /* extra kernel command line */
	unsigned timeout;			      /* seconds */
	bool keep;				      /* keep the work folder */
	bool arm64;  /* --arch arm64: qemu-system-aarch64 -M virt */
	bool icount; /* --icount: -icount shift=0 (arm64) */
	int gargc;   /* numabench's arguments in the guest */
	char **gargv;
};

/* Run the guest: an exit code as nb_cmd_guest describes. */
int nb_guest_run(const struct nb_guest_opts *o);

#endif
