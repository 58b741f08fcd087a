#!/usr/bin/env bash
# bench_git_verify.sh: time per signature checked, ceremony-verify against stock `git verify-commit`,
# in the same run on the same repository (bench/README.md).
#
#   bench/bench_git_verify.sh BUILD_DIR EVIDENCE_DIR [COMMITS]
#
# git checks one commit signature per call (it runs ssh-keygen -Y verify for it): it is timed over
# COMMITS commits (default 200) of the branch. ceremony-verify checks the whole repository (every
# commit signature and every sign-off); its time is divided by the signatures it reports.
# Not a test; run by hand.
set -euo pipefail
build=${1:?usage: bench_git_verify.sh BUILD_DIR EVIDENCE_DIR [COMMITS]}
dir=${2:?usage: bench_git_verify.sh BUILD_DIR EVIDENCE_DIR [COMMITS]}
n=${3:-200}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$build/cli/ceremony" evidence allowed-signers -e "$dir" >"$work/allowed_signers"
git -C "$dir" rev-list --max-count="$n" main >"$work/commits"
n=$(wc -l <"$work/commits")
now() { date +%s.%N; }

start=$(now)
while read -r c; do
	git -C "$dir" -c gpg.ssh.allowedSignersFile="$work/allowed_signers" verify-commit "$c" >/dev/null 2>&1 ||
		{ echo "git verify-commit refused $c" >&2; exit 1; }
done <"$work/commits"
git_s=$(awk -v a="$(now)" -v b="$start" 'BEGIN { print a - b }')

start=$(now)
"$build/cli/ceremony-verify" -e "$dir" >"$work/verify.out" || true
ours_s=$(awk -v a="$(now)" -v b="$start" 'BEGIN { print a - b }')
sigs=$(sed -n 's/.* records, \([0-9]*\) signatures checked.*/\1/p' "$work/verify.out")

awk -v n="$n" -v g="$git_s" -v s="$sigs" -v o="$ours_s" 'BEGIN {
	printf "git verify-commit: %d signatures in %.2f s: %.3f ms per signature\n", n, g, g * 1000 / n
	printf "ceremony-verify:   %d signatures in %.2f s: %.3f ms per signature\n", s, o, o * 1000 / s
	printf "per signature, ceremony-verify is %.1f times faster than git verify-commit\n", (g / n) / (o / s)
}'
