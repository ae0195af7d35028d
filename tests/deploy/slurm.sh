#!/bin/bash
# deploy/slurm tested for real: tests/deploy/slurm.sh ./numabench
# Starts munge, a Slurm controller and three node daemons (n1..n3, loopback only, each slurmd
# in its own UTS namespace with its own hostname) from nothing, submits
# deploy/slurm/numabench.sbatch as a 3-task job array running tests/deploy/tiny.json, waits
# (polling squeue), checks that every task's results landed from at least two distinct nodes
# and that `numabench fleet` renders them, then stops every daemon it started and checks
# that no tunable changed. Needs root, slurmctld, slurmd, munged, unshare (skips with 77).
set -uo pipefail
bin=$(realpath "${1:?usage: slurm.sh NUMABENCH}")
cd "$(dirname "$0")/../.."
repo=$(pwd)
for c in slurmctld slurmd munged sbatch squeue unshare; do
	command -v $c >/dev/null || { echo "slurm deploy tests: skipped: $c missing (make deps)"; exit 77; }
done
[ "$(id -u)" = 0 ] || { echo "slurm deploy tests: skipped: needs root (slurmd, unshare --uts)"; exit 77; }
unshare --uts true 2>/dev/null || { echo "slurm deploy tests: skipped: unshare --uts is refused here (no CAP_SYS_ADMIN)"; exit 77; }
for p in 17000 17001 17002 17003; do # another slurm test (or cluster) on these ports
	if ss -Hltn "sport = :$p" 2>/dev/null | grep -q .; then echo "slurm deploy tests: skipped: port $p in use"; exit 77; fi
done
. tests/lib.sh
t_init slurm nbslurm
pids=()
t_cleanup_extra() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null
	done
}
"$bin" knobs --json >"$T/knobs-before.json"

# munge, with its own key and socket
dd if=/dev/urandom of="$T/munge.key" bs=1024 count=1 status=none
chmod 400 "$T/munge.key"
munged --force --socket="$T/munge.sock" --key-file="$T/munge.key" --pid-file="$T/munged.pid" \
	--log-file="$T/munged.log" --seed-file="$T/munged.seed" 2>"$T/munged.err"
for _ in $(seq 50); do [ -s "$T/munged.pid" ] && break; sleep 0.1; done
if [ -s "$T/munged.pid" ]; then pids+=("$(cat "$T/munged.pid")"); ok "munged up"; else bad "munged: $(cat "$T/munged.err")"; t_done; fi

mkdir -p "$T/state" "$T/spool" "$T/results"
cat >"$T/slurm.conf" <<CONF
ClusterName=nbtest
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=17000
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$T/munge.sock
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool/%n
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd-%n.pid
SlurmctldLogFile=$T/slurmctld.log
SlurmdLogFile=$T/slurmd-%n.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/builtin
SelectType=select/linear
SchedulerParameters=batch_sched_delay=0
MpiDefault=none
ReturnToService=2
MailProg=/bin/true
NodeName=n[1-3] NodeHostname=localhost NodeAddr=127.0.0.1 Port=17001-17003 CPUs=$(nproc) State=UNKNOWN
PartitionName=test Nodes=n[1-3] Default=YES MaxTime=10 State=UP
CONF
export SLURM_CONF=$T/slurm.conf
slurmctld -D -f "$SLURM_CONF" >"$T/slurmctld.out" 2>&1 &
pids+=($!)
for i in 1 2 3; do
	unshare --uts sh -c "hostname n$i && exec slurmd -D -N n$i -f '$SLURM_CONF'" \
		>"$T/slurmd-n$i.out" 2>&1 &
	pids+=($!)
done
up=0
for _ in $(seq 100); do
	up=$(sinfo -h -N -t idle -o %N 2>/dev/null | sort -u | wc -l)
	[ "$up" -ge 3 ] && break
	sleep 0.2
done
if [ "$up" -ge 3 ]; then
	ok "slurmctld and 3 slurmd up (n1 n2 n3 idle)"
else
	bad "slurm did not come up: $(sinfo 2>&1 | tail -3); $(tail -3 "$T/slurmctld.log" 2>/dev/null)"
	t_done
fi

job=$(cd "$T" && NUMABENCH="$bin" NUMABENCH_RESULTS="$T/results" \
	NUMABENCH_ARGS="$repo/tests/deploy/tiny.json --repeat 3" \
	sbatch --parsable --array=0-2 "$repo/deploy/slurm/numabench.sbatch" 2>"$T/sbatch.err")
if [ -n "$job" ]; then ok "sbatch: job array $job"; else bad "sbatch: $(cat "$T/sbatch.err")"; t_done; fi
left=1
for _ in $(seq 600); do # poll squeue (sbatch --wait polls slowly): up to 120 s
	left=$(squeue -h -j "$job" 2>/dev/null | wc -l)
	[ "$left" = 0 ] && break
	sleep 0.2
done
if [ "$left" = 0 ]; then ok "job array finished"; else bad "job array still queued/running: $(squeue 2>&1)"; fi

"$bin" fleet "$T/results" --format json -o "$T/fleet.json" 2>"$T/fleet.err"
"$bin" fleet "$T/results" --format html -o "$T/fleet.html" 2>>"$T/fleet.err"
if python3 - "$T/fleet.json" <<'PY'; then
import json, sys
d = json.load(open(sys.argv[1]))
hosts = {h["host"] for h in d["hosts"]}
ok = d["files_read"] == 3 and not d["skipped"] and len(hosts) >= 2 and hosts <= {"n1", "n2", "n3"}
print(f"  {d['files_read']} results from {sorted(hosts)}, {len(d['classes'])} class(es)")
sys.exit(0 if ok else 1)
PY
	ok "3 results landed from >= 2 Slurm nodes; fleet report rendered"
else
	bad "results: $(ls "$T/results"); $(cat "$T"/numabench-*.out 2>/dev/null | tail -5); $(cat "$T/fleet.err")"
fi
ls "$T/results" | grep -Eq '^n[123]-[0-9]{8}T[0-9]{6}Z-[0-9]+_[0-2]\.json$' && ok "results named HOST-UTCSTAMP-JOB_TASK.json" ||
	bad "results names: $(ls "$T/results")"

t_cleanup_extra
pids=()
sleep 0.2
if pgrep -f "$T/slurm.conf" >/dev/null || pgrep -f "$T/munge.sock" >/dev/null; then
	bad "a daemon is left: $(pgrep -af "$T")"
else
	ok "every daemon stopped"
fi
"$bin" knobs --json >"$T/knobs-after.json"
if python3 - "$T/knobs-before.json" "$T/knobs-after.json" <<'PY'; then
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
val = lambda d: {k["name"]: k.get("value") for k in d["tunables"]}
sys.exit(0 if val(a) == val(b) else 1)
PY
	ok "no tunable changed"
else
	bad "tunables changed: $(diff "$T/knobs-before.json" "$T/knobs-after.json" | head)"
fi
t_done
