# shellcheck shell=bash
# Shared by the shell test runners (tests/*/run.sh, tests/host/sets.sh): counting checks,
# a private temp folder and journal, the summary line and the exit status.
# Usage: . "$(dirname "$0")/../lib.sh"; t_init NAME; ...; ok "what"; bad "what: why"; t_done
# ok/bad print one line each ("ok   ..." / "FAIL ..."); T_QUIET_OK=1 prints failures only.

t_init() { # t_init NAME [TMP-PREFIX]: sets T (a temp folder removed at exit) and the journal
	T_NAME=$1
	T=$(mktemp -d "/tmp/${2:-nb$1}.XXXXXX")
	export NUMABENCH_JOURNAL=$T/journal
	pass=0
	fail=0
	trap t_cleanup EXIT
}

# A runner with more to clean up defines t_cleanup_extra.
t_cleanup() {
	if declare -F t_cleanup_extra >/dev/null; then t_cleanup_extra; fi
	rm -rf "$T"
}

ok() {
	pass=$((pass + 1))
	[ "${T_QUIET_OK:-0}" = 1 ] || echo "ok   $*"
}

bad() {
	fail=$((fail + 1))
	echo "FAIL $*"
}

t_done() { # prints "NAME tests: P passed, F failed" and exits 1 when anything failed
	echo "$T_NAME tests: $pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit $?
}
