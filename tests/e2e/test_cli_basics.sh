#!/usr/bin/env bash
# The command line itself: version, help everywhere, strict option parsing, exit codes.
. "$(dirname "$0")/lib.sh"

run_expect 0 "$CEREMONY" --version
grep -Eq '^ceremony [0-9]+\.[0-9]+\.[0-9]+ \(build [0-9a-f]{40}(-dirty)?|unknown\)' "$T/out" || fail "version line: $(cat "$T/out")"
pass "--version prints the version and the build hash"

run_expect 0 "$CEREMONY" --help
out_has "usage: ceremony <command>"
for cmd in evidence verify keygen demo; do out_has "  $cmd"; done
pass "--help lists the commands"

# Every command --help lists, and every sub-subcommand.
commands=$(sed -n 's/^  \([a-z][a-z-]*\)  .*/\1/p' "$T/out")
[ "$(echo "$commands" | wc -w)" -ge 17 ] || fail "--help lists too few commands: $commands"
for cmd in $commands "evidence init" "evidence append" "evidence log" "evidence allowed-signers" "vault init" \
	"vault serve" "vault status" "vault seal" "vault check-share" "vault pubkey" "vault log" "scenario check"; do
	# shellcheck disable=SC2086
	run_expect 0 "$CEREMONY" $cmd --help
	grep -q "usage: ceremony\|usage: [a-z]" "$T/out" || fail "$cmd --help says no usage: $(head -n 2 "$T/out")"
done
pass "every command and subcommand has --help"

run_expect 2 "$CEREMONY"
err_has "usage: ceremony"
run_expect 2 "$CEREMONY" frobnicate
err_one_line; err_has 'unknown command "frobnicate"'
pass "no command or an unknown one: exit 2"

run_expect 2 "$CEREMONY" verify --bogus
err_one_line; err_has "unknown option --bogus"
run_expect 2 "$CEREMONY" verify -e a -e b
err_one_line; err_has "option --evidence given more than once"
run_expect 2 "$CEREMONY" verify
err_one_line; err_has "option --evidence is required"
run_expect 2 "$CEREMONY" verify -e
err_one_line; err_has "option --evidence needs a value"
run_expect 2 "$CEREMONY" verify -e "$T" extra
err_one_line; err_has 'unexpected argument "extra"'
run_expect 2 "$CEREMONY" verify -e "$T/missing" --closing-hash 1234
err_one_line; err_has "--closing-hash: expected 64 hex digits"
pass "strict options: unknown, repeated, missing, valueless, extra, malformed are usage errors"

run_expect 2 "$CEREMONY" verify -e "$T/missing"
err_one_line; err_has "not an evidence repository"; err_has "$T/missing"
mkdir "$T/plain"
run_expect 2 "$CEREMONY" verify -e "$T/plain"
err_one_line; err_has "$T/plain"
pass "verify of something that is not a repository: exit 2 naming it"

run_expect 0 "$CEREMONY" keygen -f "$T/k" -C someone
ssh-keygen -y -f "$T/k" | cut -d" " -f1,2 >"$T/k.check"
[ "$(cut -d' ' -f1,2 "$T/k.pub")" = "$(cat "$T/k.check")" ] || fail "keygen public key differs from ssh-keygen -y"
[ "$(stat -c %a "$T/k")" = 600 ] || fail "private key not mode 0600"
run_expect 2 "$CEREMONY" keygen -f "$T/k"
err_one_line; err_has "File exists"
pass "keygen writes a key ssh-keygen reads, mode 0600, never overwrites"

# The auditor's verifier is its own binary and cannot touch a secret: no vault code in it. It does
# read the vault log and the vault's identity (common/: public, no secret), and nothing else of the vault.
# (Optimized builds split functions into parts such as NAME.cold: the same function.)
VERIFY=${CEREMONY_VERIFY_BIN:?CEREMONY_VERIFY_BIN must name ceremony-verify}
nm "$CEREMONY" >"$T/nm-ceremony"
nm "$VERIFY" >"$T/nm-verify"
grep -qE ' T (vault_|shamir_|sharefile_|keystore_)' "$T/nm-ceremony" || fail "the check below would prove nothing"
grep -qE ' T vault_log_each$' "$T/nm-verify" || fail "ceremony-verify does not read the vault log"
if grep -E ' [TtDdBbRr] (vault_|shamir_|sharefile_|keystore_|audit_key_|passphrase_)' "$T/nm-verify" |
	grep -vE ' (vault_log_(each|verify|outcome_name|who_ok|parse_line|parsed_clear|signed_message|check_[a-z_]+|time_[a-z]+|line_[a-z_]+)|vault_claims_[a-z]+|vault_join|vault_check_shares|vault_identity_(read|read_file|write))(\.[a-z0-9_.]+)?$'; then
	fail "ceremony-verify links vault code"
fi
run_expect 0 "$VERIFY" --version
out_has "ceremony-verify"
run_expect 0 "$VERIFY" --help
out_has "usage: ceremony verify"
run_expect 2 "$VERIFY" -e "$T/missing"
err_one_line
pass "ceremony-verify is the verifier alone: no vault symbol in it"

finish
