# Golden cases of report and compare, shared by run.sh (check) and regen.sh (refresh).
# One line per case: NAME ARGS..., paths relative to the repository root. Every reference
# result (results/reference: real guest runs of the current schema) and every synthetic
# fixture (tests/fixtures/result1: hand-made numabench.result/1 documents, the readers' /1
# inputs) gets a report case; synthetic fixtures and the real guest results (when there are
# two or more) get compare cases. Each case is rendered as text (NAME.txt), Markdown
# (NAME.md), HTML (NAME.charts: the list of charts), tidy rows (NAME.csv, NAME.json), and
# its stderr and exit code are kept in NAME.status.

REF=results/reference
FIX=tests/fixtures/result1

golden_cases() {
	local f real=()
	for f in "$REF"/*.json "$FIX"/*.json; do
		[ -e "$f" ] || continue
		echo "report-$(basename "$f" .json) report $f"
		case "$f" in "$REF"/*) real+=("$f") ;; esac
	done
	echo "compare-synthetic compare $FIX/synthetic-base.json $FIX/synthetic-patched.json" \
		"$FIX/synthetic-otherhost.json"
	echo "compare-synthetic-threshold compare $FIX/synthetic-base.json" \
		"$FIX/synthetic-patched.json --threshold 5"
	echo "compare-synthetic-untrusted compare $FIX/synthetic-base.json" \
		"$FIX/synthetic-patched.json --threshold 1 --include-untrustworthy --fdr"
	echo "compare-reference-topology compare $REF/guest-2node-6.1-quick.json" \
		"$REF/guest-4node-asym-6.12-quick.json --threshold 5"
	if [ "${#real[@]}" -ge 2 ]; then
		echo "compare-reference compare ${real[*]}"
	fi
}

# run_case BIN OUTDIR NAME ARGS...: write OUTDIR/NAME.{txt,md,html,status}.
run_case() {
	local bin=$1 out=$2 name=$3 rc
	shift 3
	"$bin" "$@" --format text >"$out/$name.txt" 2>"$out/$name.err" && rc=0 || rc=$?
	{ echo "exit: $rc"; cat "$out/$name.err"; } >"$out/$name.status"
	rm -f "$out/$name.err"
	"$bin" "$@" --format md >"$out/$name.md" 2>/dev/null || true
	"$bin" "$@" --format html >"$out/$name.html" 2>/dev/null || true
	"$bin" "$@" --format csv >"$out/$name.csv" 2>/dev/null || true
	"$bin" "$@" --format json >"$out/$name.json" 2>/dev/null || true
}
