#!/bin/bash
# Build the libFuzzer targets with clang (ASan+UBSan) and run each for $1 seconds
# (make check: a short smoke; make fuzz: longer). Prints executions and crashes per target.
set -u
SECS=${1:-10}
cd "$(dirname "$0")/../.."
B=build-fuzz
mkdir -p $B/corpus
command -v clang >/dev/null || { echo "fuzz: clang missing (apt-get install clang libclang-rt-14-dev)"; exit 1; }
# One build: the Makefile builds the targets from the same sources as numabench.
make -s -j2 fuzz-bins || { echo "fuzz: build failed"; exit 1; }
fail=0
for t in results report fleet config cmdline; do
	mkdir -p $B/corpus/$t
	case $t in
	results) cp results/reference/*.json tests/fixtures/result1/*.json $B/corpus/$t/ 2>/dev/null ;;
	report) # seeds: a format byte, then a reference result (the small synthetic ones)
		for f in tests/fixtures/result1/synthetic-*.json; do
			for k in 0 1 2 128; do
				{ printf "\\$(printf %o $k)"; cat "$f"; } >"$B/corpus/$t/$(basename "$f" .json)-$k"
			done
		done ;;
	fleet) # seeds: a format byte, then three hosts of one made-up class separated by \x01\x01
		rm -rf $B/fleet-seed
		python3 tests/fleet/make-fleet.py $B/fleet-seed/files --seed 1 --hosts 3
		set -- $(ls $B/fleet-seed/files/r1*.json | head -3)
		for k in 0 2 3 4; do
			{ printf "\\$(printf %o $k)"; cat "$1"; printf '\001\001'; cat "$2"; printf '\001\001'
			  cat "$3"; } >"$B/corpus/$t/seed-$k"
		done ;;
	config) cp configs/*.json $B/corpus/$t/ ;;
	cmdline) printf 'latency\0--set\0latency.size=4K,1M\0-o\0x.json' >$B/corpus/$t/seed1 ;;
	esac
	# inputs that once crashed a target (tests/fuzz/regress/TARGET/): run first, every time
	cp tests/fuzz/regress/$t/* $B/corpus/$t/ 2>/dev/null
	$B/fuzz_$t -max_total_time=$SECS -max_len=65536 -print_final_stats=1 -close_fd_mask=$([ $t = report ] || [ $t = fleet ] && echo 3 || echo 2) \
		-artifact_prefix=$B/crash-$t- $B/corpus/$t >$B/fuzz_$t.log 2>&1
	rc=$?
	execs=$(awk '/stat::number_of_executed_units/ {print $2}' $B/fuzz_$t.log)
	crashes=$(ls $B/crash-$t-* 2>/dev/null | wc -l)
	echo "fuzz $t: ${execs:-0} executions in ${SECS}s, $crashes crash(es), exit $rc"
	[ $rc -ne 0 ] || [ "$crashes" -ne 0 ] && { fail=1; tail -30 $B/fuzz_$t.log; }
done
exit $fail
