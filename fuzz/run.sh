#!/bin/sh
# Run every libFuzzer harness for a while on a copy of its seed corpus; fail if any of them finds
# a crash, a leak, a timeout or undefined behaviour. Builds nothing.
#
#   fuzz/run.sh BUILD_DIR [SECONDS_PER_HARNESS]     (default 10 seconds)
#
# BUILD_DIR is a build configured with -DCMAKE_C_COMPILER=clang -DCEREMONY_FUZZ=ON and built.
# fuzz/corpus/ is never modified: each harness runs on a copy in a temporary directory.
# fuzz/dict/<harness>.dict, when present, is passed as a libFuzzer dictionary.
# Reproducers (crash-*, leak-*, timeout-*, oom-*) are kept in $FUZZ_ARTIFACT_DIR, by default
# BUILD_DIR/fuzz-artifacts/<harness>/; each harness's output is in <harness>.log beside them.
set -eu

usage() {
	echo "usage: $0 BUILD_DIR [SECONDS_PER_HARNESS]" >&2
	exit 2
}

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	usage
fi
build_dir=$1
seconds=${2:-10}
case $seconds in
'' | *[!0-9]*) usage ;;
esac
[ "$seconds" -ge 1 ] || usage

here=$(cd "$(dirname "$0")" && pwd)
harnesses="sshsig sshkey_line allowed_signers private_key agent_reply record commit_raw tree_raw loose_raw xml scenario vault_msg vault_log_line"
artifacts=${FUZZ_ARTIFACT_DIR:-$build_dir/fuzz-artifacts}
artifacts=$(mkdir -p "$artifacts" && cd "$artifacts" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/ceremony-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

# A slow input is a finding too: no single input may take more than this.
timeout_per_input=${FUZZ_TIMEOUT:-10}

# The fuzz build compiles with -fsanitize=undefined in its default, recoverable mode: make every
# UBSan report fatal so that libFuzzer stops and keeps the input. LeakSanitizer is on by default.
UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS ASAN_OPTIONS

failed=""
for name in $harnesses; do
	bin=$build_dir/fuzz/fuzz_$name
	if [ ! -x "$bin" ]; then
		echo "fuzz: $bin: not built (configure with -DCEREMONY_FUZZ=ON and build first)" >&2
		failed="$failed $name"
		continue
	fi
	mkdir -p "$work/$name" "$artifacts/$name"
	if [ -d "$here/corpus/$name" ]; then
		cp -R "$here/corpus/$name/." "$work/$name/"
	fi
	log=$artifacts/$name.log
	set -- -max_total_time="$seconds" -max_len=65536 -timeout="$timeout_per_input" \
		-print_final_stats=1 -artifact_prefix="$artifacts/$name/"
	if [ -f "$here/dict/$name.dict" ]; then
		set -- "$@" -dict="$here/dict/$name.dict"
	fi
	echo "fuzz: $name for ${seconds}s" >&2
	status=0
	"$bin" "$@" "$work/$name" >"$log" 2>&1 || status=$?
	# The last status line: "#N DONE cov: C ft: F corp: ... exec/s: E ..."
	grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE|INITED)' "$log" | tail -n 1 >&2 || true
	if [ "$status" -ne 0 ]; then
		echo "fuzz: $name FAILED (exit $status); see $log and $artifacts/$name/" >&2
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|fuzz: .*check failed)' "$log" | head -n 5 >&2 || true
		failed="$failed $name"
	fi
done

if [ -n "$failed" ]; then
	echo "fuzz: failed:$failed" >&2
	exit 1
fi
echo "fuzz: all harnesses ran ${seconds}s without a finding" >&2
