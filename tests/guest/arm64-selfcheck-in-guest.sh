# Runs inside an arm64 guest (numabench guest --arch arm64 --icount --script THIS -- ROTATE):
# the counter self-check twice, with libpfm4's generic perf PMU (what QEMU's -cpu max gets:
# libpfm4 knows no core PMU for it) and with LIBPFM_FORCE_PMU=arm_n1 (the Neoverse N1 table;
# ROTATE, Arm event names, is asked there). One JSON object on stdout; exit 1 if either failed.
#
# Every cpu but cpu0 is taken offline first: under -icount QEMU runs the vCPUs in turn and feeds
# each vCPU's instruction counter from one global count (target/arm instructions_get_count() is
# icount_get_raw()), so a user-mode count on cpu0 also counts what another vCPU executes while
# it is enabled (measured: ~3 100 per timer tick of an idle-but-ticking cpu1, 28 672 extra over
# 36 M in one CI run; with cpu1 busy, millions). The JSON records cpus_online.
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
