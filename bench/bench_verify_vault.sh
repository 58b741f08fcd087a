#!/usr/bin/env bash
# bench_verify_vault.sh: a 10,000-record ceremony joined with a 1,000,000-line vault log, the whole
# `ceremony-verify --vault-log` against its floor measured in the same run (bench/README.md).
#
#   bench/bench_verify_vault.sh BUILD_DIR WORK_DIR [RECORDS] [LOG_LINES]
#
# 1. bench-vault-log writes the log (kept) and measures, on it, vault_log_verify and the log's floor
#    (the SHA-256 of each line and its Ed25519 check alone).
# 2. bench-gen-evidence makes the evidence, its genesis record pinning that log's audit key.
# 3. bench-verify measures evidence_check and the evidence's floor (the signature checks alone).
# 4. ceremony-verify -e EVIDENCE --vault-log LOG, timed whole, its peak RSS read by GNU time.
# The ratio is (4) over the sum of the two floors. Not a test; run by hand (it takes minutes).
set -euo pipefail
build=${1:?usage: bench_verify_vault.sh BUILD_DIR WORK_DIR [RECORDS] [LOG_LINES]}
work=${2:?usage: bench_verify_vault.sh BUILD_DIR WORK_DIR [RECORDS] [LOG_LINES]}
records=${3:-10000}
lines=${4:-1000000}
mkdir -p "$work"
rm -rf "$work/evidence" "$work/bench-vault.log"

"$build/bench/bench-vault-log" -n "$lines" -d "$work" -k | tee "$work/log.out"
key=$(sed -n 's/^audit public key: //p' "$work/log.out")
log_floor=$(sed -n 's/^floor (SHA-256 + Ed25519 verify only): *\([0-9.]*\) s wall.*/\1/p' "$work/log.out")

"$build/bench/bench-gen-evidence" --vault-audit-key "$key" "$work/evidence" "$records"
"$build/bench/bench-verify" "$work/evidence" 3 | tee "$work/verify.out"
ev_floor=$(sed -n 's/^floor seconds: *\([0-9.]*\) wall.*/\1/p' "$work/verify.out" | head -n 1)

/usr/bin/time -f '%e %M' -o "$work/time.out" "$build/cli/ceremony-verify" -e "$work/evidence" \
	--vault-log "$work/bench-vault.log" >"$work/join.out" || true
read -r total rss < <(tail -n 1 "$work/time.out")
grep -E '^vault log:|verdict' "$work/join.out" || true
awk -v t="$total" -v e="$ev_floor" -v l="$log_floor" -v m="$rss" 'BEGIN {
	printf "ceremony-verify --vault-log, %s records + %s log lines: %.1f s wall, peak RSS %d KiB\n", "'"$records"'", "'"$lines"'", t, m
	printf "floor (evidence signatures %.1f s + log hashes and signatures %.1f s): %.1f s\n", e, l, e + l
	printf "ratio total / floor: %.2f\n", t / (e + l)
}'
