#!/bin/bash
# numabench counters on this host: software counters count real work, hardware events are
# reported unavailable cleanly when there is no PMU, tracepoints resolve to their tracefs ids
# (tracefs is mounted for the test when root, and unmounted again) and count real work.
# Usage: bash tests/counters/run.sh [./numabench]
# Prints PASS/FAIL/SKIP lines; exit 1 if anything failed, else 0 (skips are fine).
set -u
cd "$(dirname "$0")/../.." || exit 1
BIN=${1:-./numabench}
. tests/counters/lib.sh

fails=0
pass() { echo "PASS counters: $*"; }
fail() {
	echo "FAIL counters: $*"
	fails=$((fails + 1))
}
skip() { echo "SKIP counters: $*"; }

tool=$(counters_build counters_check) || {
	fail "cannot build tests/counters/counters_check"
	exit 1
}
have_py=0
command -v python3 >/dev/null && have_py=1

# Run a check of the tool: 0 pass, 77 skip (reason in its JSON), else fail.
check() {
	local what=$1 out rc
	shift
	out=$("$tool" "$@")
	rc=$?
	case $rc in
	0) pass "$what: $out" ;;
	77) skip "$what: $out" ;;
	*) fail "$what (exit $rc): $out" ;;
	esac
}

# JSON assertions in python3 over stdin; $1 names the check, $2 is the program.
pycheck() {
	local what=$1 prog=$2 input
	input=$(cat)
	if [ $have_py = 0 ]; then
		skip "$what: no python3"
		return
	fi
	if msg=$(printf '%s' "$input" | python3 -c "$prog" 2>&1); then
		pass "$what${msg:+: $msg}"
	else
		fail "$what: $msg"
	fi
}

check "page faults of 10000 touched pages (this thread)" faults 10000
check "page faults of 10000 touched pages (thread created after open, inherit)" faults 10000 thread

"$tool" json cycles,instructions,llc-misses,dram-local,dram-remote,dtlb-misses |
	pycheck "hardware events available or unavailable with errno and reason" '
import json, sys
d = json.load(sys.stdin)
for c in d["counters"]:
    assert c["kind"] == "hardware", c
    if c["available"]:
        assert isinstance(c["value"], int), c
        assert c["time_running"] <= c["time_enabled"], c
    else:
        assert c["value"] is None and c["reason"] and c["errno"], c
print(", ".join("%s=%s" % (c["event"], c["value"] if c["available"] else c["reason"])
                for c in d["counters"][:2]))
'

# tracefs: mount it for the test when root and absent, put things back afterwards.
TRACEFS=/sys/kernel/tracing
mounted_here=0
if [ "$(id -u)" = 0 ] && [ ! -d $TRACEFS/events ]; then
	if mount -t tracefs nodev $TRACEFS 2>/dev/null; then
		mounted_here=1
	fi
fi
trap '[ $mounted_here = 1 ] && umount $TRACEFS' EXIT

if [ -d $TRACEFS/events ]; then
	"$tool" json | TRACEFS=$TRACEFS pycheck "NUMA tracepoints resolve to their tracefs ids" '
import json, os, sys
d = json.load(sys.stdin)
root = os.environ["TRACEFS"] + "/events/"
n = 0
for c in d["counters"]:
    if c["kind"] != "tracepoint":
        continue
    sysname, name = c["event"].split(":")
    path = root + sysname + "/" + name + "/id"
    if os.path.exists(path):
        want = "id=" + open(path).read().strip()
        assert c["encoding"].endswith(want), (c, want)
        assert c["available"], c
        n += 1
    else:
        assert not c["available"] and "not in this kernel" in c["reason"], c
print("%d resolved" % n)
'
	check "sched:sched_process_fork counts 20 forks" forks 20
	check "migrate:mm_migrate_pages fires when move_pages migrates" migrate 64
	if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
		setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$tool" json \
			migrate:mm_migrate_pages 2>/dev/null |
			pycheck "tracepoints unavailable with a reason for an unprivileged user" '
import json, sys
c = json.load(sys.stdin)["counters"][0]
assert not c["available"] and c["reason"], c
print(c["reason"])
'
	fi
else
	"$tool" json migrate:mm_migrate_pages | pycheck "tracepoints without tracefs: unavailable with the reason" '
import json, sys
c = json.load(sys.stdin)["counters"][0]
assert not c["available"] and "tracefs" in c["reason"], c
print(c["reason"])
'
fi

# The program's `numabench events`, once it is wired into main.
if [ -x "$BIN" ] && "$BIN" events --json >/dev/null 2>&1; then
	"$BIN" events --json | pycheck "numabench events --json lists name/kind/available" '
import json, sys
d = json.load(sys.stdin)
for e in d["events"]:
    assert e["kind"] in ("hardware", "software", "tracepoint"), e
    assert isinstance(e["available"], bool) and e["name"], e
    assert e["available"] or e["reason"], e
print("%d events, %d available" % (len(d["events"]), sum(e["available"] for e in d["events"])))
'
	"$BIN" events --json | pycheck "core PMU description: counters, fixed, NMI watchdog, source" '
import json, sys
d = json.load(sys.stdin)
p = d["core_pmu"]
assert p["name"] and p["source"], p
assert isinstance(p["known"], bool) and isinstance(p["nmi_watchdog"], bool), p
assert set(p["fixed_counters"]) <= {"cycles", "instructions", "ref-cycles"}, p
assert 0 <= p["free_general"] <= p["general_counters"], p
if not d["hardware_pmu"]:
    assert not p["known"] and p["general_counters"] == 0, p
wd = open("/proc/sys/kernel/nmi_watchdog").read().strip() if p["known"] else "0"
assert p["nmi_watchdog"] == (wd == "1"), (p, wd)
print("%s: %d general (%d free), fixed %s, watchdog %s; %s" % (p["name"],
      p["general_counters"], p["free_general"], ",".join(p["fixed_counters"]) or "none",
      p["nmi_watchdog"], p["source"]))
'
	# Software counts never depend on the PMU: they run the whole time, in their own group.
	"$tool" json page-faults,context-switches,cycles | pycheck "software events in their own group, running_fraction 1" '
import json, sys
d = json.load(sys.stdin)
sw = [c for c in d["counters"] if c["kind"] == "software"]
hw = [c for c in d["counters"] if c["kind"] == "hardware"]
assert len(sw) == 2 and all(c["available"] for c in sw), sw
assert all(c["group"] == "page-faults" and c["running_fraction"] == 1.0 for c in sw), sw
assert all(c.get("group") != "page-faults" for c in hw), hw
print("groups: " + ", ".join("%s->%s" % (c["event"], c.get("group")) for c in d["counters"]))
'
	err=$("$BIN" events cycles,no_such_event_xyz 2>&1 >/dev/null)
	rc=$?
	if [ $rc = 2 ] && [ "$(printf '%s\n' "$err" | wc -l)" = 1 ] &&
		printf '%s' "$err" | grep -q no_such_event_xyz; then
		pass "bad event name: exit 2, one line naming it"
	else
		fail "bad event name: exit $rc, message: $err"
	fi
else
	skip "$BIN events: not built or not wired into main yet"
fi

exit $((fails > 0))
