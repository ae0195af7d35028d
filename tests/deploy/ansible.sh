#!/bin/bash
# deploy/ansible tested for real: tests/deploy/ansible.sh ./numabench
# Runs deploy/ansible/numabench.yml against three inventory hosts (h1 h2 h3,
# ansible_connection=local: one after the other, -f 1, as they share this kernel) running
# tests/deploy/tiny.json with a tunable set for the run (knob.promote_rate_limit_MBps), then
# checks that every host's results were fetched, `numabench fleet` reads them all, the journal
# is empty and no tunable changed. Skips (77) without ansible-playbook or root (the knob).
set -uo pipefail
bin=$(realpath "${1:?usage: ansible.sh NUMABENCH}")
cd "$(dirname "$0")/../.."
repo=$(pwd)
command -v ansible-playbook >/dev/null || { echo "ansible deploy tests: skipped: ansible-playbook missing (make deps)"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "ansible deploy tests: skipped: needs root (the tunable set for the run)"; exit 77; }
. tests/lib.sh
t_init ansible nbansible
"$bin" knobs --json >"$T/knobs-before.json"
printf '[fleet]\n' >"$T/inventory"
for h in h1 h2 h3; do
	printf '%s ansible_connection=local ansible_python_interpreter=/usr/bin/python3\n' $h >>"$T/inventory"
done
export ANSIBLE_LOCAL_TEMP=$T/ansible-local ANSIBLE_REMOTE_TEMP=$T/ansible-remote ANSIBLE_NOCOLOR=1 \
	ANSIBLE_HOME=$T/ansible-home ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_HOST_KEY_CHECKING=0
rate=$(python3 -c 'import json,sys; print({k["name"]: k["value"] for k in json.load(open(sys.argv[1]))["tunables"]}.get("promote_rate_limit_MBps"))' "$T/knobs-before.json")
knob=""
[ "$rate" != None ] && knob="--set knob.promote_rate_limit_MBps=$((rate == 1234 ? 4321 : 1234))"
if ansible-playbook -i "$T/inventory" -f 1 "$repo/deploy/ansible/numabench.yml" \
	-e numabench_bin="$bin" -e numabench_remote_dir="$T/remote" -e numabench_fetch_dir="$T/fetched" \
	-e "numabench_args='$repo/tests/deploy/tiny.json --repeat 3 $knob'" >"$T/play.log" 2>&1; then
	ok "playbook ran on h1 h2 h3${knob:+ (with $knob)}"
else
	bad "playbook: $(grep -E 'fatal|FAILED|ERROR' "$T/play.log" | head -5)"
fi
n=0
for h in h1 h2 h3; do
	ls "$T/fetched" 2>/dev/null | grep -Eq "^$h-[0-9]{8}T[0-9]{6}Z\.json$" && n=$((n + 1))
done
[ $n = 3 ] && ok "results of the 3 hosts fetched (HOST-UTCSTAMP.json)" || bad "fetched: $(ls "$T/fetched" 2>&1)"
if "$bin" fleet "$T/fetched" --format json -o "$T/fleet.json" 2>"$T/fleet.err" &&
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(not (d["files_read"] == 3 and not d["skipped"]))' "$T/fleet.json"; then
	ok "fleet report over the fetched results (3 files read, none skipped)"
else
	bad "fleet: $(cat "$T/fleet.err")"
fi
# the knob really was set during the runs (so that putting it back was tested)
if [ -z "$knob" ] || python3 - "$T/fetched" <<'PY'; then
import glob, json, sys
for f in glob.glob(sys.argv[1] + "/*.json"):
    t = json.load(open(f))["tunables"]
    if t["during"].get("promote_rate_limit_MBps") == t["before"].get("promote_rate_limit_MBps"):
        sys.exit(1)
PY
	ok "the tunable was changed during each run${knob:+ ($knob)}"
else
	bad "tunables.during shows no change: the restore was not exercised"
fi
"$bin" knobs --json >"$T/knobs-after.json"
if python3 -c 'import json,sys
v = lambda p: {k["name"]: k.get("value") for k in json.load(open(p))["tunables"]}
sys.exit(v(sys.argv[1]) != v(sys.argv[2]))' "$T/knobs-before.json" "$T/knobs-after.json" &&
	"$bin" restore 2>&1 | grep -q "nothing left to restore"; then
	ok "no tunable changed, journal empty"
else
	bad "tunables changed or journal pending: $(diff "$T/knobs-before.json" "$T/knobs-after.json" | head -5); $("$bin" restore 2>&1)"
fi
t_done
