/* numabench: the QEMU NUMA guest runner (`numabench guest`). */
#ifndef NB_GUEST_H
#define NB_GUEST_H

/*
 * numabench guest [--kernel 6.1|6.12|PATH] [--topology NAME|FILE] [--append ARGS]
 *                 [--timeout SEC] [--keep] [-o FILE] -- ARGS...
 *
 * Boots a QEMU guest with the NUMA topology of configs/guests/NAME.json on a Debian kernel
 * (fetched with apt-get download, never installed) or any bzImage, runs `numabench ARGS`
 * inside, and writes the JSON it produced to FILE (default
 * results/guest-TOPOLOGY-KERNEL-UTCSTAMP.json), the guest console to FILE.console.log.
 * argv[0] == "guest". Returns the guest run's exit code, or an enum nb_exit of its own:
 * NB_EXIT_USAGE for bad arguments or configs, NB_EXIT_GUEST when the guest did not boot,
 * hung, or returned no results.
 *
 * Environment: NUMABENCH_CACHE (kernels, initramfs, KVM probe; default
 * .cache/numabench under the source tree), NUMABENCH_DATA (folder holding configs/ and
 * harness/initramfs/), NUMABENCH_QEMU (emulator binary), NUMABENCH_ACCEL (tcg|kvm|auto),
 * NUMABENCH_GUEST_BINARY (numabench binary to put in the guest; default this one).
 */
int nb_cmd_guest(int argc, char **argv);

#endif
