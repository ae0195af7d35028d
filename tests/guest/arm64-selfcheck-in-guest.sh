# Runs inside an arm64 guest (numabench guest --arch arm64 --icount --script THIS -- ROTATE):
# the counter self-check twice, with libpfm4's generic perf PMU (what QEMU's -cpu max gets:
# libpfm4 knows no core PMU for it) and with LIBPFM_FORCE_PMU=arm_n1 (the Neoverse N1 table;
# ROTATE, Arm event names, is asked there). One JSON object on stdout; exit 1 if either failed.
echo '{"schema": "numabench.selfcheck-arm64/1", "generic":'
./numabench events --selfcheck
g=$?
echo ', "arm_n1":'
LIBPFM_FORCE_PMU=arm_n1 ./numabench events --selfcheck "$1"
n=$?
echo ', "exit": ['$g', '$n']}'
[ $g -eq 0 ] && [ $n -eq 0 ]
