# Shared helpers for the end-to-end tests: each test sources this file, then calls the
# `ceremony` binary and stock tools (git, ssh-keygen, ssh-agent) on what it produces.
set -euo pipefail

CEREMONY=${CEREMONY_BIN:?CEREMONY_BIN must name the built ceremony binary}
base=${CEREMONY_TEST_TMP:-/tmp}
mkdir -p "$base"
T=$(mktemp -d "$base/e2e.$(basename "$0" .sh).XXXXXX")
export GIT_CONFIG_NOSYSTEM=1 HOME=$T/home
mkdir -p "$HOME"
git config --global user.name tester
git config --global user.email tester@example.invalid
git config --global init.defaultBranch main
git config --global advice.detachedHead false
cleanup_hooks=()
cleanup() {
	for h in "${cleanup_hooks[@]}"; do eval "$h" || true; done
	rm -rf "$T"
}
trap cleanup EXIT

passes=0
pass() { passes=$((passes + 1)); echo "ok - $*"; }
fail() { echo "FAIL - $*" >&2; exit 1; }

# run_expect CODE CMD... : run, capture stdout/stderr in $T/out $T/err, require the exit code.
run_expect() {
	local want=$1 got=0
	shift
	"$@" >"$T/out" 2>"$T/err" || got=$?
	cat "$T/out" "$T/err" >>"$T/transcript" # everything the commands printed, for the secret canary
	if [ "$got" -ne "$want" ]; then
		echo "--- stdout" >&2; cat "$T/out" >&2; echo "--- stderr" >&2; cat "$T/err" >&2
		fail "expected exit $want, got $got: $*"
	fi
}
out_has() { grep -qF -- "$1" "$T/out" || { cat "$T/out" >&2; fail "stdout lacks: $1"; }; }
err_has() { grep -qF -- "$1" "$T/err" || { cat "$T/err" >&2; fail "stderr lacks: $1"; }; }
# Errors are one line: "ceremony: <what>: <why>".
err_one_line() {
	[ "$(wc -l <"$T/err")" -eq 1 ] || { cat "$T/err" >&2; fail "stderr is not one line"; }
	grep -Eq '^ceremony(-verify)?: ' "$T/err" || fail "stderr does not start with 'ceremony: '"
}

# keygen NAME [COMMENT]: an Ed25519 key made by stock ssh-keygen at $T/keys/NAME.
keygen() {
	mkdir -p "$T/keys"
	ssh-keygen -q -t ed25519 -N '' -C "${2:-$1}" -f "$T/keys/$1" </dev/null
}

# roster LINE...: write $T/roster (allowed_signers format) from "participant keyname" pairs.
roster() {
	: >"$T/roster"
	while [ $# -gt 0 ]; do
		echo "$1 $(cut -d' ' -f1,2 "$T/keys/$2.pub")" >>"$T/roster"
		shift 2
	done
}

# new_ceremony DIR: keys alice bob carol, a roster, a scenario file, and a genesis record.
new_ceremony() {
	local dir=$1
	for p in alice bob carol; do [ -f "$T/keys/$p" ] || keygen $p; done
	roster alice alice bob bob carol carol
	[ -f "$T/scenario" ] || echo "scenario for the tests" >"$T/scenario"
	run_expect 0 "$CEREMONY" evidence init -e "$dir" --ceremony test-1 --roster "$T/roster" -s "$T/scenario" \
		-k "$T/keys/alice" -k "$T/keys/bob"
}

# allowed_signers DIR: the roster for stock tools, at $T/allowed_signers.
allowed_signers() {
	"$CEREMONY" evidence allowed-signers -e "$1" >"$T/allowed_signers"
}

finish() { echo "$passes passed, 0 failed"; }
