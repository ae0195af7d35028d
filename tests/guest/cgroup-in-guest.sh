# Runs INSIDE a 2-node numabench guest (busybox sh), through `numabench guest --script`.
# cgroup v2 limits numabench must honour (issue 8): a cpuset that allows node 0 and its cpus
# only, and a memory.max. Prints one JSON array of cases {case, rc, err, ...} on stdout (results
# go to *.out files, so that stdout is what the guest runner returns); the host side
# (tests/guest/cgroup.sh) judges them.
NB=./numabench
T=/tmp/cgtest
mkdir -p $T
CG=/sys/fs/cgroup
grep -q " $CG cgroup2 " /proc/mounts || mount -t cgroup2 none $CG || exit 1
echo "+cpuset +memory" >$CG/cgroup.subtree_control || exit 1
mkdir -p $CG/nb
cat /sys/devices/system/node/node0/cpulist >$CG/nb/cpuset.cpus
echo 0 >$CG/nb/cpuset.mems
echo 96M >$CG/nb/memory.max
echo 0 >$CG/nb/memory.swap.max 2>/dev/null
echo $$ >$CG/nb/cgroup.procs || exit 1
cpu1=$(cut -d, -f1 /sys/devices/system/node/node1/cpulist | cut -d- -f1)
esc() { tr -d '\n' <"$1" | sed 's/\\/\\\\/g; s/"/\\"/g'; }
sep='['
case_() { # case_ NAME ARGS...
	name=$1
	shift
	$NB "$@" >$T/out 2>$T/err
	rc=$?
	printf '%s{"case":"%s","rc":%d,"err_lines":%d,"err":"%s"}\n' "$sep" "$name" $rc \
		"$(wc -l <$T/err)" "$(esc $T/err)"
	sep=','
}
case_ node1 run latency --nodes 1 -o $T/r.out
case_ cpu1 run latency --cpus "$cpu1" -o $T/r.out
case_ memmax run fault --set fault.size=96M -o $T/r.out
# inside the limits: runs, records the cgroup's view, uses node 0 only
$NB run latency fault --set latency.size=32K,8M --set fault.size=8M --repeat 3 \
	-o $T/fit.out >/dev/null 2>$T/err
rc=$?
printf ',{"case":"fit","rc":%d,"result":' $rc
cat $T/fit.out 2>/dev/null || printf 'null'
printf '}\n'
echo ",{\"case\":\"cgroup\",\"effective_mems\":\"$(cat $CG/nb/cpuset.mems.effective)\",\"oom_kills\":$(awk '$1 == "oom_kill" { print $2 }' $CG/nb/memory.events)}]"
