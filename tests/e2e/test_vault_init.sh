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

# ---- a vault-initialization ceremony: the recorder makes the vault at its vault-init step ----
for p in alice bob carol erin dave; do keygen $p; done
{
	echo "alice lead $(cut -d' ' -f1,2 "$T/keys/alice.pub")"
	for k in bob carol erin; do echo "$k keymaster $(cut -d' ' -f1,2 "$T/keys/$k.pub")"; done
	echo "dave witness $(cut -d' ' -f1,2 "$T/keys/dave.pub")"
} >"$T/roster"
run_expect 0 "$CEREMONY" scenario make -t "$CEREMONY_SOURCE_DIR/templates/demo-vault-init.xml" -r "$T/roster" \
	--id init-test -o "$T/init.xml"
E=$T/init-evidence
K() { echo "$T/keys/$1"; }
run_expect 2 "$CEREMONY" begin -e "$E" -s "$T/init.xml" -V "$T/made" -k "$(K alice)" -k "$(K dave)"
err_one_line; err_has "makes its vault at its vault-init step: begin without -V"
run_expect 0 "$CEREMONY" begin -e "$E" -s "$T/init.xml" -k "$(K alice)" -k "$(K dave)"
run_expect 0 "$CEREMONY" record -e "$E" --step room-check --value bag-serial=TEB-000001 -k "$(K alice)" -k "$(K dave)"
run_expect 2 "$CEREMONY" record -e "$E" --step init -V "$T/made" --yes -k "$(K alice)" -k "$(K bob)" -k "$(K carol)" \
	-k "$(K dave)"
err_one_line; err_has "give --shares DIR"
run_expect 1 "$CEREMONY" record -e "$E" --step init -V "$V" --shares "$T/made-shares" --passphrase-file bob="$T/bob.pass" \
	--passphrase-file carol="$T/carol.pass" --passphrase-file erin="$T/erin.pass" --yes -k "$(K alice)" -k "$(K bob)" \
	-k "$(K carol)" -k "$(K dave)"
err_one_line
[ "$(git -C "$E" rev-list --count main)" -eq 2 ] || fail "a refused init wrote a record"
run_expect 0 "$CEREMONY" record -e "$E" --step init -V "$T/made" --shares "$T/made-shares" \
	--passphrase-file bob="$T/bob.pass" --passphrase-file carol="$T/carol.pass" --passphrase-file erin="$T/erin.pass" \
	--yes -k "$(K alice)" -k "$(K bob)" -k "$(K carol)" -k "$(K dave)"
out_has "vault: init, vault log entry 1"
vault_id=$(jq -r .vault "$T/made/vault.json")
out_has "vault id $vault_id"
git -C "$E" show main:records/00/00/00/02/record.xml >"$T/init-record.xml"
grep -q "<vault-operation op=\"init\" outcome=\"ok\" log-seq=\"1\" log-hash=\"[0-9a-f]*\" vault-id=\"$vault_id\"" \
	"$T/init-record.xml" || fail "the init record does not report the vault made"
git -C "$E" show main:records/00/00/00/02/attachments/vault-identity | cmp -s - "$T/made/vault.json" ||
	fail "the evidence does not keep the vault's identity"
[ "$(sed -n 2p "$T/made/vault.log" | tr -d '\n' | sha256sum | cut -d' ' -f1)" = \
	"$(sed -n 's/.*log-seq="1" log-hash="\([0-9a-f]*\)".*/\1/p' "$T/init-record.xml")" ] ||
	fail "the recorded log hash is not the SHA-256 of the vault log's init line"
for k in bob carol erin; do
	run_expect 0 "$CEREMONY" vault check-share -V "$T/made" --share "$T/made-shares/$k.share" --passphrase-file "$T/$k.pass"
done
run_expect 0 "$CEREMONY" record -e "$E" --step shares-bagged --value "bag-serials=TEB-000002 TEB-000003 TEB-000004" \
	-k "$(K bob)" -k "$(K carol)" -k "$(K dave)"
run_expect 0 "$CEREMONY" close -e "$E" -k "$(K alice)" -k "$(K bob)" -k "$(K carol)" -k "$(K dave)"
run_expect 0 "$CEREMONY" verify -e "$E" -s "$T/init.xml"
pass "a vault-initialization ceremony: the recorder makes the vault, the record pins it and its log line"

finish
