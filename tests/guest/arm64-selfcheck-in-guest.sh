# Runs inside an arm64 guest (numabench guest --arch arm64 --icount --script THIS -- ROTATE):
# the counter self-check twice, with libpfm4's generic perf PMU (what QEMU's -cpu max gets:
# libpfm4 knows no core PMU for it) and with LIBPFM_FORCE_PMU=arm_n1 (the Neoverse N1 table;
# ROTATE, Arm event names, is asked there). One JSON object on stdout; exit 1 if either failed.
#
# Every cpu but cpu0 is taken offline first. Under -icount QEMU runs the vCPUs in turn and its
# PMU reads instructions from the one global count (target/arm instructions_get_count() is
# icount_get_raw()), so what another vCPU executes in its turn while this task's user-mode
# counter is enabled is counted too. Measured (6.12, 2node): with cpu1 online and idle, +3 108 to
# +5 062 over 4 000 000 and +30 648 to +61 152 over 40 000 000 in every sample of two runs (the
# CI failure: 28 672 extra in the difference); with cpu1 offline, 4 000 048 and 40 000 048 in all
# 18 samples of three runs. The JSON records cpus_online.
for c in /sys/devices/system/cpu/cpu[1-9]*; do
	[ -w "$c/online" ] && echo 0 >"$c/online"
done
echo '{"schema": "numabench.selfcheck-arm64/1", "generic":'
./numabench events --selfcheck
g=$?
echo ', "arm_n1":'
LIBPFM_FORCE_PMU=arm_n1 ./numabench events --selfcheck "$1"
n=$?
echo ', "exit": ['$g', '$n']}'
[ $g -eq 0 ] && [ $n -eq 0 ]
