#!/usr/bin/env bash
# bench/bench_append.sh: latency of appending one record, against stock `git commit -S`, in one run.
#
#   bash bench/bench_append.sh [BUILD_DIR [RUNS]]       (defaults: build-bench beside this script's
#                                                        parent, 50 runs; run by hand, never in CI)
#
# Measures, interleaved run by run so that the machine's noise hits every contender alike:
#   ceremony     `ceremony evidence append -e DIR --step s -k k1 -k k2 -k k3` on a repository made by
#                bench-gen-evidence (100 records, open): 3 sign-offs, signed commit, durable (2 syncfs)
#   git          `git commit -q -a -S -m ...` of a one-line change in a non-bare repository, SSH
#                signing (gpg.format ssh) with a key file (user.signingkey = the private key's path)
#   git-fsync    the same with -c core.fsync=committed -c core.fsyncMethod=fsync: durable like ours
#   git-agent    the same as git, with user.signingkey = KEY.pub and the key in a private ssh-agent
#                (the form git documents for public keys; skipped when ssh-agent is missing)
# Then bench-append (in process, no process start, no key file parsing) on a fresh repository.
# Times come from bash's $EPOCHREALTIME around each command (no fork for the clock). Prints each
# median and "git / this": how many times faster than `git commit -S` (the issue's target: 3).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build-bench}
runs=${2:-50}
ceremony=$build/cli/ceremony
gen=$build/bench/bench-gen-evidence
inproc=$build/bench/bench-append
for bin in "$ceremony" "$gen" "$inproc"; do
	[[ -x $bin ]] || { echo "bench_append.sh: $bin not built (make -C $build)" >&2; exit 2; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/ceremony-bench-append.XXXXXX")
agent_pid=
cleanup() {
	if [[ -n $agent_pid ]]; then SSH_AGENT_PID=$agent_pid ssh-agent -k >/dev/null 2>&1 || true; fi
	rm -rf "$work"
}
trap cleanup EXIT

for i in 1 2 3 4; do "$ceremony" keygen -f "$work/k$i" -C "p$i" >/dev/null; done
"$gen" --open -k "$work/k1" -k "$work/k2" -k "$work/k3" -k "$work/k4" "$work/evidence" 100 >/dev/null

contenders=(ceremony git git-fsync)
if command -v ssh-agent >/dev/null && command -v ssh-add >/dev/null; then
	eval "$(ssh-agent -s)" >/dev/null
	agent_pid=$SSH_AGENT_PID
	ssh-add -q "$work/k1" 2>/dev/null
	contenders+=(git-agent)
fi

make_git_repo() { # DIR SIGNINGKEY
	git init -q "$1"
	git -C "$1" config user.name bench
	git -C "$1" config user.email bench@example.invalid
	git -C "$1" config gpg.format ssh
	git -C "$1" config user.signingkey "$2"
	git -C "$1" config commit.gpgsign true
	echo 0 >"$1/file"
	git -C "$1" add file
	git -C "$1" commit -q -m init
}
make_git_repo "$work/git" "$work/k1"
make_git_repo "$work/git-fsync" "$work/k1"
[[ -n $agent_pid ]] && make_git_repo "$work/git-agent" "$work/k1.pub"
sync

# One timed command; appends milliseconds to $work/NAME.ms.
timed() { # NAME COMMAND...
	local name=$1 t0 t1
	shift
	t0=$EPOCHREALTIME
	"$@" >/dev/null
	t1=$EPOCHREALTIME
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) * 1000 }' >>"$work/$name.ms"
}

for ((i = 1; i <= runs + 3; i++)); do
	# The first three runs warm the page cache and are dropped.
	[[ $i -le 3 ]] && suffix=.warm || suffix=
	timed "ceremony$suffix" "$ceremony" evidence append -e "$work/evidence" --step s \
		-k "$work/k1" -k "$work/k2" -k "$work/k3"
	echo "$i" >"$work/git/file"
	timed "git$suffix" git -C "$work/git" commit -q -a -S -m "step $i"
	echo "$i" >"$work/git-fsync/file"
	timed "git-fsync$suffix" git -C "$work/git-fsync" -c core.fsync=committed -c core.fsyncMethod=fsync \
		commit -q -a -S -m "step $i"
	if [[ -n $agent_pid ]]; then
		echo "$i" >"$work/git-agent/file"
		timed "git-agent$suffix" git -C "$work/git-agent" commit -q -a -S -m "step $i"
	fi
done

median() { sort -n "$1" | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

rc=0
"$ceremony" verify -e "$work/evidence" >/dev/null || rc=$? # 3: authentic and intact, but open (no close record)
[[ $rc -eq 3 ]] || { echo "bench_append.sh: the evidence does not verify (exit $rc)" >&2; exit 1; }

echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)  host: $(uname -srm), $(nproc) CPUs  git: $(git --version | cut -d' ' -f3)"
echo "runs: $runs each, interleaved (3 warm-up runs dropped)"
git_median=$(median "$work/git.ms")
# "git / this": how many times faster than `git commit -S` (the target is at least 3 for ceremony).
printf '%-12s %10s %12s\n' contender "median ms" "git / this"
for name in "${contenders[@]}"; do
	m=$(median "$work/$name.ms")
	printf '%-12s %10.3f %12.2f\n' "$name" "$m" "$(awk -v m="$m" -v g="$git_median" 'BEGIN { print g / m }')"
done
echo
echo "in process (bench-append, $runs runs, no process start, keys already in memory; run after the"
echo "loop above, not interleaved with it):"
"$inproc" "$work/inproc" "$runs" | tee "$work/inproc.txt"
inproc_ms=$(awk -F: '/^durable, open..close/ { print $2 + 0 }' "$work/inproc.txt")
printf 'git / in-process durable append: %.2f\n' "$(awk -v m="$inproc_ms" -v g="$git_median" 'BEGIN { print g / m }')"
