#!/usr/bin/env bash
# Vault initialization: encrypted share files for each key master, the public identity, the signed
# vault log; checked by the key masters (check-share) and by stock jq; every refusal.
. "$(dirname "$0")/lib.sh"
V=$T/vault
S=$T/shares
for k in bob carol erin; do printf 'passphrase of %s\n' $k >"$T/$k.pass"; chmod 600 "$T/$k.pass"; done
init() { # init DIR SHARES
	"$CEREMONY" vault init -V "$1" --shares "$2" -t 2 --keymaster bob --keymaster carol --keymaster erin \
		--passphrase-file bob="$T/bob.pass" --passphrase-file carol="$T/carol.pass" --passphrase-file erin="$T/erin.pass" \
		--insecure-fast-kdf
}

run_expect 0 init "$V" "$S"
out_has "quorum: 2 of 3 key masters: bob (share 1) carol (share 2) erin (share 3)"
for k in bob carol erin; do
	[ "$(stat -c %a "$S/$k.share")" = 600 ] || fail "$k.share is not mode 0600"
done
[ "$(stat -c %a "$V")" = 700 ] || fail "the vault directory is not private"
pass "init writes one share file per key master (mode 0600), the identity and the log"

run_expect 0 "$CEREMONY" vault status -V "$V"
out_has "vault log: 2 entries, chain and signatures verified"
jq -e '.threshold == 2 and (.commitments | length) == 2 and (.key_masters | length) == 3' "$V/vault.json" >/dev/null ||
	fail "jq does not read the identity as expected"
[ "$(jq -c . "$V/vault.log" | wc -l)" -eq 2 ] || fail "jq does not read the vault log"
jq -e 'select(.seq == 1) | .op == "init" and .outcome == "ok"' "$V/vault.log" >/dev/null || fail "no init entry"
pass "status verifies the log; jq reads the identity and the log"

for k in bob carol erin; do
	run_expect 0 "$CEREMONY" vault check-share -V "$V" --share "$S/$k.share" --passphrase-file "$T/$k.pass"
	out_has "of key master $k verifies against the vault's commitments"
done
run_expect 1 "$CEREMONY" vault check-share -V "$V" --share "$S/carol.share" --passphrase-file "$T/bob.pass"
err_one_line; err_has "carol.share: wrong passphrase or corrupted share file"
cp "$S/carol.share" "$T/corrupt.share"
# Flip one bit of the ciphertext (setting a byte could leave it unchanged).
size=$(stat -c %s "$T/corrupt.share")
at=$((size - 20))
byte=$(od -An -tu1 -j "$at" -N1 "$T/corrupt.share" | tr -d ' ')
printf "\\$(printf %03o $((byte ^ 1)))" | dd of="$T/corrupt.share" bs=1 seek="$at" conv=notrunc 2>/dev/null
cmp -s "$S/carol.share" "$T/corrupt.share" && fail "the share file was not changed"
run_expect 1 "$CEREMONY" vault check-share -V "$V" --share "$T/corrupt.share" --passphrase-file "$T/carol.pass"
err_one_line; err_has "corrupt.share"
pass "each key master checks their share; a wrong passphrase or a corrupted file is refused"

run_expect 0 init "$T/vault2" "$T/shares2"
run_expect 1 "$CEREMONY" vault check-share -V "$V" --share "$T/shares2/carol.share" --passphrase-file "$T/carol.pass"
err_one_line; err_has "another vault"
pass "a share from another vault is refused before any decryption"

run_expect 1 init "$V" "$S"
err_one_line; err_has "is not empty: a vault is never initialized twice"
run_expect 1 init "$T/vault3" "$S"
err_one_line; err_has "exists: share files are never overwritten"
[ ! -e "$T/vault3/vault.json" ] || fail "a refused init left an identity"
chmod 644 "$T/bob.pass"
run_expect 1 init "$T/vault4" "$T/shares4"
err_one_line; err_has "bob.pass"
[ ! -e "$T/shares4/bob.share" ] && [ ! -e "$T/vault4/vault.json" ] || fail "a refused init left files behind"
chmod 600 "$T/bob.pass"
run_expect 2 "$CEREMONY" vault init -V "$T/v5" -t 4 --keymaster a --keymaster b --keymaster c
err_one_line; err_has "threshold"
run_expect 2 "$CEREMONY" vault init -V "$T/v6" -t 2 --keymaster a --keymaster a
err_one_line; err_has "named twice"
pass "refusals: a second init, an existing share file, a passphrase file others can read, a bad quorum, a key master twice"

sed -i '2s/"outcome":"ok"/"outcome":"refused"/' "$V/vault.log"
run_expect 1 "$CEREMONY" vault status -V "$V"
err_one_line; err_has "vault.log: line 2"
pass "an edited vault log line is found, naming the line"

finish
