# Runs INSIDE a numabench guest (busybox sh), through `numabench guest --script`:
#   sh kill-in-guest.sh KILLS
# Starts runs that change tunables (the balance bench journals numa_balancing and the scan
# tunables, gup switches numa_balancing; --set knob.* adds more, demotion_enabled among them) and kills them with SIGKILL, SIGTERM and SIGINT at random
# moments, KILLS times per signal. After each kill `numabench restore`
# must have put every tunable back; no numabench process may be left; the results file must be
# the previous one byte for byte or a complete new one (`numabench report` reads it), and no
# temporary results file may be left, and no memory policy may outlive the runs (VMAs with a
# non-default policy in any process, shm objects, mempolicy slab objects). Prints one JSON
# summary on stdout.
KILLS=${1:-20}
NB=./numabench
T=/tmp/killtest
mkdir -p $T
TUN="/proc/sys/kernel/numa_balancing /sys/kernel/debug/sched/numa_balancing/scan_delay_ms
/sys/kernel/debug/sched/numa_balancing/scan_period_min_ms
/sys/kernel/debug/sched/numa_balancing/scan_size_mb /proc/sys/vm/zone_reclaim_mode
/sys/kernel/mm/numa/demotion_enabled"
snapshot() { for f in $TUN; do [ -f "$f" ] && echo "$f=$(cat "$f")"; done; }
# Memory policies: VMAs with a policy other than default in any process left, shared (shm)
# objects that could hold a policy, and the kernel's mempolicy slab objects.
policy_vmas() { cat /proc/[0-9]*/numa_maps 2>/dev/null | awk '$2 != "default"' | wc -l; }
shm_objects() { echo $(($(ls -A /dev/shm 2>/dev/null | wc -l) + $(tail -n +2 /proc/sysvipc/shm 2>/dev/null | wc -l))); }
slab_objs() { awk -v n="$1" '$1 == n { print $2; f = 1 } END { if (!f) print -1 }' /proc/slabinfo; }
echo 0 >/proc/sys/kernel/numa_balancing
snapshot >$T/orig
$NB run fault --set fault.size=2M --set fault.pages=4k -o $T/res.out >/dev/null 2>&1
prev=$(sha256sum $T/res.out | cut -d' ' -f1)
# positive control: the policy probe sees the bound buffers of a live run
$NB run fault --set fault.size=32M --repeat 5 -o $T/ctl.out >/dev/null 2>&1 &
cpid=$!
seen=0 n=0
while [ $n -lt 400 ] && kill -0 $cpid 2>/dev/null; do
	v=$(policy_vmas)
	[ "$v" -gt $seen ] && seen=$v
	n=$((n + 1))
done
wait $cpid
shm0=$(shm_objects)
pol0=$(slab_objs numa_policy)
spol0=$(slab_objs shared_policy_node)
left_tun=0 left_proc=0 torn=0 tmp_left=0 runs=0 completed=0 restored_msgs=0
for sig in KILL TERM INT; do
	i=0
	while [ $i -lt "$KILLS" ]; do
		i=$((i + 1))
		runs=$((runs + 1))
		delay=$(awk -v s="$runs$i" 'BEGIN { srand(s * 7919); printf "%.2f", rand() * 2.5 }')
		# both benches that change state: balance (modes, scan tunables) and gup (balancing
		# off and on around its passes), each with extra knobs journalled
		if [ $((runs % 2)) -eq 0 ]; then
			$NB run gup --set gup.size=64K --set gup.repeat=1 --set knob.zone_reclaim_mode=1 \
				-o $T/res.out >/dev/null 2>&1 &
		else
			$NB run balance --set balance.size=8M --set balance.duration_s=2 \
				--set knob.numa_balancing=1 --set knob.zone_reclaim_mode=1 \
				--set knob.demotion_enabled=true \
				-o $T/res.out >/dev/null 2>&1 &
		fi
		pid=$!
		sleep "$delay"
		kill -$sig $pid 2>/dev/null
		wait $pid
		rc=$?
		[ $rc -eq 0 ] || [ $rc -eq 3 ] && completed=$((completed + 1))
		ps -o pid,ppid,stat,args >$T/ps.after-kill
		$NB restore >/dev/null 2>$T/knobs.err
		grep -q "restored" $T/knobs.err && restored_msgs=$((restored_msgs + 1))
		snapshot >$T/now
		if ! cmp -s $T/orig $T/now; then
			left_tun=$((left_tun + 1))
			echo "kill-in-guest: $sig #$i: tunables left changed:" >&2
			diff $T/orig $T/now >&2
			echo "kill-in-guest: processes right after the kill, then what knobs said:" >&2
			grep numabench $T/ps.after-kill >&2
			cat $T/knobs.err >&2
			$NB restore >/dev/null 2>&1
		fi
		# processes of the killed run still there: a child whose parent-death SIGKILL is
		# still being delivered may take a moment to exit, so allow it 3 s; a zombie (state
		# Z, dead, waiting for init to reap it) holds nothing and is not counted
		w=0
		while [ $w -lt 30 ]; do
			n=$(ps -o stat,args | grep '[n]umabench run' | grep -vc '^Z')
			[ "$n" -eq 0 ] && break
			w=$((w + 1))
			sleep 0.1
		done
		if [ "$n" -gt 0 ]; then
			left_proc=$((left_proc + n))
			echo "kill-in-guest: $sig #$i: processes left 3 s after the kill:" >&2
			ps -o pid,ppid,stat,args | grep '[n]umabench' >&2
			killall -KILL numabench 2>/dev/null
		fi
		sum=$(sha256sum $T/res.out | cut -d' ' -f1)
		if [ "$sum" != "$prev" ]; then
			if $NB report $T/res.out >/dev/null 2>&1; then prev=$sum; else
				torn=$((torn + 1))
				echo "kill-in-guest: $sig #$i: torn results file" >&2
				$NB run fault --set fault.size=2M -o $T/res.out >/dev/null 2>&1
				prev=$(sha256sum $T/res.out | cut -d' ' -f1)
			fi
		fi
		n=$(ls -a $T | grep -c '^\.res\.out\.')
		[ "$n" -gt 0 ] && { tmp_left=$((tmp_left + n)); rm -f $T/.res.out.*; }
	done
done
sync
echo 2 >/proc/sys/vm/drop_caches # frees reclaimable slab; mempolicies are not reclaimable
printf '{"policy_vmas_seen_during_a_run":%d,"policy_vmas_left":%d,"shm_objects_before":%d,"shm_objects_after":%d,' \
	"$seen" "$(policy_vmas)" "$shm0" "$(shm_objects)"
printf '"numa_policy_slab_objs_before":%d,"numa_policy_slab_objs_after":%d,' "$pol0" \
	"$(slab_objs numa_policy)"
printf '"shared_policy_slab_objs_before":%d,"shared_policy_slab_objs_after":%d,' "$spol0" \
	"$(slab_objs shared_policy_node)"
printf '"schema":"numabench.killtest/1","kernel":"%s","kills_per_signal":%d,"runs":%d,' \
	"$(uname -r)" "$KILLS" "$runs"
printf '"completed_before_kill":%d,"restored_by_next_invocation":%d,' "$completed" "$restored_msgs"
printf '"tunables_left_changed":%d,"processes_left":%d,"results_torn":%d,"temp_files_left":%d}\n' \
	"$left_tun" "$left_proc" "$torn" "$tmp_left"
