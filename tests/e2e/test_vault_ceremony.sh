#!/usr/bin/env bash
# A key ceremony with the vault, end to end: the recorder asks the vault for exactly what the
# scenario specifies; shares contributed at the unseal step; a refused share is an incident; keys of
# an invalidated session are destroyed before the restart; the record's fingerprint equals openssl's,
# the signature verifies with openssl; verify accepts the whole; nothing secret lands anywhere.
. "$(dirname "$0")/lib.sh"
TEMPLATE=$CEREMONY_SOURCE_DIR/templates/demo-vault.xml
E=$T/evidence
V=$T/vault
S=$T/shares

for p in alice bob carol erin dave; do keygen $p; done
{
	echo "alice lead $(cut -d' ' -f1,2 "$T/keys/alice.pub")"
	echo "bob keymaster $(cut -d' ' -f1,2 "$T/keys/bob.pub")"
	echo "carol keymaster $(cut -d' ' -f1,2 "$T/keys/carol.pub")"
	echo "erin keymaster $(cut -d' ' -f1,2 "$T/keys/erin.pub")"
	echo "dave witness $(cut -d' ' -f1,2 "$T/keys/dave.pub")"
} >"$T/roster"
run_expect 0 "$CEREMONY" scenario make -t "$TEMPLATE" -r "$T/roster" --id keygen-test -o "$T/scenario.xml"
for k in bob carol erin; do printf 'passphrase of %s\n' $k >"$T/$k.pass"; chmod 600 "$T/$k.pass"; done
run_expect 0 "$CEREMONY" vault init -V "$V" --shares "$S" -t 2 --keymaster bob --keymaster carol --keymaster erin \
	--passphrase-file bob="$T/bob.pass" --passphrase-file carol="$T/carol.pass" --passphrase-file erin="$T/erin.pass" \
	--insecure-fast-kdf
"$CEREMONY" vault serve -V "$V" 2>>"$T/serve.err" &
serve_pid=$!
cleanup_hooks+=("kill $serve_pid 2>/dev/null")
for _ in $(seq 100); do [ -S "$V/vault.sock" ] && break; sleep 0.1; done
K() { echo "$T/keys/$1"; }
share() { # share KEYMASTER [SHAREFILE]
	"$CEREMONY" share -e "$E" --step unseal -V "$V" --share "${2:-$S/$1.share}" --passphrase-file "$T/$1.pass" \
		-k "$(K "$1")"
}

run_expect 2 "$CEREMONY" begin -e "$E" -s "$T/scenario.xml" -k "$(K alice)" -k "$(K dave)"
err_one_line; err_has "has vault steps: give the ceremony's vault with -V VAULT"
run_expect 0 "$CEREMONY" begin -e "$E" -s "$T/scenario.xml" -V "$V" -k "$(K alice)" -k "$(K dave)"
vault_id=$(jq -r .vault "$V/vault.json")
git -C "$E" show main:records/00/00/00/00/record.xml | grep -qF "<vault id=\"$vault_id\"" ||
	fail "the genesis record does not name the vault"
pass "begin pins the ceremony's vault (id and audit key) in the genesis record"

# An operation the scenario does not specify now is never asked of the vault: proposed out of order,
# it is an incident and the vault's log does not change; a manual step has no vault output.
run_expect 0 "$CEREMONY" begin -e "$T/other-evidence" -s "$T/scenario.xml" -V "$V" -k "$(K alice)" -k "$(K dave)"
lines=$(wc -l <"$V/vault.log")
run_expect 2 "$CEREMONY" record -e "$T/other-evidence" --step room-check --value bag-serial=TEB-000009 -V "$V" \
	-o "$T/nothing" -k "$(K alice)" -k "$(K dave)"
err_has "step room-check is not a vault step: it has no output"
run_expect 1 "$CEREMONY" record -e "$T/other-evidence" --step generate -V "$V" -k "$(K alice)" -k "$(K dave)"
err_one_line; err_has "step generate was proposed out of order"
[ "$(wc -l <"$V/vault.log")" -eq "$lines" ] || fail "the vault was asked for an operation the scenario did not specify"
pass "an operation the scenario does not specify at this point is refused before the vault is asked"

run_expect 0 "$CEREMONY" record -e "$E" --step room-check --value bag-serial=TEB-000001 -k "$(K alice)" -k "$(K dave)"
run_expect 1 "$CEREMONY" record -e "$E" --step unseal -V "$V" -k "$(K bob)" -k "$(K carol)" -k "$(K dave)"
err_one_line; err_has "the vault is sealed (0 of 2 shares)"
run_expect 2 "$CEREMONY" share -e "$E" --step unseal -V "$V" --share "$S/carol.share" --passphrase-file "$T/carol.pass" \
	-k "$(K bob)"
err_one_line; err_has "carol.share is the share file of carol, not of bob"
# The guided runner does not drive the vault yet: it says how to go on, and ends.
printf 'expect Step unseal is a vault step (vault-unseal)\nexit 0\n' >"$T/run-script"
"${PTY_DRIVE:?}" "$T/run-script" "$CEREMONY" run -e "$E" >"$T/run-transcript" 2>&1 ||
	{ cat "$T/run-transcript" >&2; fail "run at a vault step"; }
run_expect 0 share bob
out_has "share 1 of bob accepted by the vault"
out_has "the vault stays sealed"
pass "shares are contributed at the unseal step, each by its own key master"

# A share that is not the vault's: an incident, the contributions discarded (the vault sealed).
"$CEREMONY" vault init -V "$T/other-vault" --shares "$T/other-shares" -t 2 --keymaster bob --keymaster carol \
	--keymaster erin --passphrase-file bob="$T/bob.pass" --passphrase-file carol="$T/carol.pass" \
	--passphrase-file erin="$T/erin.pass" --insecure-fast-kdf >/dev/null
# Forge the other vault's share file into this vault's id: it decrypts, but is not this vault's share.
run_expect 1 share carol "$T/other-shares/carol.share"
err_has "another vault"
[ "$(git -C "$E" rev-list --count main)" -eq 2 ] || fail "a share the recorder refused before the vault wrote a record"
pass "a share file of another vault is refused before it reaches the vault"

# A share file that decrypts but holds a share that is not the vault's (a tampered medium): the vault
# refuses it, the recorder makes it an incident, and the vault is sealed (bob's share discarded).
"${FORGE_SHARE:?FORGE_SHARE must name the forge-share test tool}" "$V" 2 carol "$T/carol.pass" "$T/forged.share"
run_expect 1 share carol "$T/forged.share"
err_one_line; err_has "the vault refused unseal-share"
err_has "the share of carol does not match the vault's commitments"
git -C "$E" show main:records/00/00/00/02/record.xml >"$T/bad-share.xml"
grep -q '<incident kind="vault-refused">' "$T/bad-share.xml" || fail "no vault-refused incident"
grep -q '<vault-operation op="unseal-share" outcome="refused"' "$T/bad-share.xml" || fail "the refused share is not reported"
grep -q '<vault-operation op="seal" outcome="ok"' "$T/bad-share.xml" || fail "the vault was not sealed"
run_expect 0 "$CEREMONY" vault status -V "$V"
out_has "vault process: sealed, 0 of 2 shares contributed"
run_expect 0 "$CEREMONY" restart -e "$E" -V "$V" -k "$(K alice)" -k "$(K dave)"
run_expect 0 "$CEREMONY" record -e "$E" --step room-check --value bag-serial=TEB-000003 -k "$(K alice)" -k "$(K dave)"
run_expect 0 share bob
pass "a bad share is refused by the vault, attributed, recorded as an incident; the vault is sealed"

# Generate in session 2, then an incident: the key must be destroyed before the restart.
run_expect 0 share carol
out_has "the vault is open"
run_expect 0 "$CEREMONY" record -e "$E" --step unseal -V "$V" -k "$(K bob)" -k "$(K carol)" -k "$(K dave)"
out_has "committed"
git -C "$E" show main:records/00/00/00/05/record.xml >"$T/unseal.xml"
[ "$(grep -c '<vault-operation op="unseal-share" outcome="ok"' "$T/unseal.xml")" -eq 2 ] || fail "contributions not recorded"
grep -q '<vault-operation op="unseal" outcome="ok"' "$T/unseal.xml" || fail "the unseal is not recorded"
run_expect 0 "$CEREMONY" record -e "$E" --step generate -V "$V" -k "$(K alice)" -k "$(K dave)"
out_has "committed"
run_expect 0 "$CEREMONY" incident -e "$E" --reason "the witness left the room" -k "$(K dave)"
run_expect 1 "$CEREMONY" restart -e "$E" -k "$(K alice)" -k "$(K dave)"
err_one_line; err_has "key firmware-signing made in session 2 must be destroyed before the restart"
run_expect 0 "$CEREMONY" restart -e "$E" -V "$V" -k "$(K alice)" -k "$(K dave)"
git -C "$E" show main:records/00/00/00/08/record.xml >"$T/restart.xml"
grep -q '<vault-operation op="destroy" outcome="ok" .*label="firmware-signing"' "$T/restart.xml" ||
	fail "the restart does not report the destroyed key"
grep -q '<vault-operation op="seal" outcome="ok"' "$T/restart.xml" || fail "the restart does not seal the vault"
[ ! -e "$V/keys/firmware-signing.key" ] || fail "the key of the invalidated session is still in the keystore"
pass "an invalidated session's key is destroyed, and the vault sealed, by the restart record"

# Session 3: the scenario's key is made again under its label; a new key, a new fingerprint.
run_expect 0 "$CEREMONY" record -e "$E" --step room-check --value bag-serial=TEB-000002 -k "$(K alice)" -k "$(K dave)"
run_expect 0 share erin
run_expect 0 share bob
run_expect 0 "$CEREMONY" record -e "$E" --step unseal -V "$V" -k "$(K erin)" -k "$(K bob)" -k "$(K dave)"
run_expect 0 "$CEREMONY" record -e "$E" --step generate -V "$V" -k "$(K alice)" -k "$(K dave)"
old_fp=$(grep -o 'op="destroy" [^>]*fingerprint="[0-9a-f]*"' "$T/restart.xml" | sed 's/.*fingerprint="//; s/"//')
last=$(git -C "$E" ls-tree -r --name-only main | grep 'record.xml$' | sort | tail -1)
new_fp=$(git -C "$E" show "main:$last" | grep -o 'op="generate" [^>]*fingerprint="[0-9a-f]*"' | sed 's/.*fingerprint="//; s/"//')
[ -n "$new_fp" ] && [ "$new_fp" != "$old_fp" ] || fail "session 2 did not make a new key"
pass "after the restart the scenario's key is made again: a new key under the same label"

# Export: the recorder attaches the PEM the vault exported; its fingerprint is openssl's.
run_expect 2 "$CEREMONY" record -e "$E" --step export-public-key -V "$V" --attach public-key="$T/roster" \
	-k "$(K alice)" -k "$(K dave)"
err_one_line; err_has "attachment public-key is what the vault outputs; the recorder attaches it"
run_expect 0 "$CEREMONY" record -e "$E" --step export-public-key -V "$V" -o "$T/fw.pub.pem" -k "$(K alice)" -k "$(K dave)"
[ "$(openssl pkey -pubin -in "$T/fw.pub.pem" -outform DER | sha256sum | cut -d' ' -f1)" = "$new_fp" ] ||
	fail "the recorded fingerprint is not the SHA-256 of the exported key's DER SubjectPublicKeyInfo"
last=$(git -C "$E" ls-tree -r --name-only main | grep 'record.xml$' | sort | tail -1)
git -C "$E" show "main:${last%record.xml}attachments/public-key" | cmp -s - "$T/fw.pub.pem" ||
	fail "the evidence does not keep the exported public key"
pass "export: the recorded fingerprint equals openssl's; the PEM is kept in the evidence"

# Sign: what is signed is the attachment; the signature verifies with stock openssl.
head -c 200000 /dev/urandom >"$T/firmware.bin"
run_expect 2 "$CEREMONY" record -e "$E" --step sign-firmware -V "$V" --attach firmware-image="$T/firmware.bin" \
	-k "$(K alice)" -k "$(K bob)" -k "$(K dave)"
err_has "cannot be undone: confirm it with --yes"
run_expect 0 "$CEREMONY" record -e "$E" --step sign-firmware -V "$V" --attach firmware-image="$T/firmware.bin" --yes \
	-o "$T/firmware.bin.sig" -k "$(K alice)" -k "$(K bob)" -k "$(K dave)"
openssl dgst -sha384 -verify "$T/fw.pub.pem" -signature "$T/firmware.bin.sig" "$T/firmware.bin" >/dev/null ||
	fail "openssl does not verify the vault's signature"
last=$(git -C "$E" ls-tree -r --name-only main | grep 'record.xml$' | sort | tail -1)
git -C "$E" show "main:$last" | grep -q "message-sha256=\"$(sha256sum "$T/firmware.bin" | cut -d' ' -f1)\"" ||
	fail "the record does not say what was signed"
git -C "$E" show "main:$last" | grep -q "signature-sha256=\"$(sha256sum "$T/firmware.bin.sig" | cut -d' ' -f1)\"" ||
	fail "the record does not say which signature was made"
pass "sign: the vault signs the recorded attachment; openssl verifies the signature"

run_expect 0 "$CEREMONY" record -e "$E" --step seal -V "$V" -k "$(K alice)" -k "$(K dave)"
run_expect 0 "$CEREMONY" vault status -V "$V"
out_has "vault process: sealed"
run_expect 0 "$CEREMONY" close -e "$E" -k "$(K alice)" -k "$(K bob)" -k "$(K carol)" -k "$(K dave)"
closing=$(sed -n 's/^closing hash: //p' "$T/out")
run_expect 0 "$CEREMONY" verify -e "$E" -s "$T/scenario.xml" --closing-hash "$closing"
"$CEREMONY" evidence allowed-signers -e "$E" >"$T/allowed_signers"
git -C "$E" -c gpg.format=ssh -c gpg.ssh.allowedSignersFile="$T/allowed_signers" verify-commit main 2>/dev/null ||
	fail "git verify-commit refuses the last commit"
git -C "$E" fsck --strict 2>/dev/null || fail "git fsck --strict"
run_expect 0 "$CEREMONY" vault log verify -V "$V"
pass "sealed, closed; verify, git verify-commit, git fsck and vault log verify accept it all"

# The evidence joined with the vault's own log, both ways.
claimed=$(git -C "$E" log -p main | grep -c '<vault-operation ' || true)
run_expect 0 "$CEREMONY_VERIFY_BIN" -e "$E" -s "$T/scenario.xml" --closing-hash "$closing" --vault-log "$V/vault.log" \
	--vault-identity "$V/vault.json"
out_has "of $claimed vault operations the records report are in it as reported"
out_has "verdict: VERIFIED"
run_expect 1 "$CEREMONY_VERIFY_BIN" -e "$E" -s "$T/scenario.xml" --vault-identity "$T/other-vault/vault.json"
out_has "vault-identity-mismatch: the vault identity given is not the vault the evidence pins"
lines=$(wc -l <"$V/vault.log")
head -n $((lines - 3)) "$V/vault.log" >"$T/truncated.log"
run_expect 1 "$CEREMONY_VERIFY_BIN" -e "$E" -s "$T/scenario.xml" --vault-log "$T/truncated.log"
out_has "vault-op-missing: step seal claims seal at vault log line"
sed '5s/"who":"/"who":"x/' "$V/vault.log" >"$T/edited.log"
run_expect 1 "$CEREMONY_VERIFY_BIN" -e "$E" -s "$T/scenario.xml" --vault-log "$T/edited.log"
out_has "vault-log-invalid"
out_has "edited.log: line 5: bad signature"
pass "verify --vault-log joins the records with the vault log, --vault-identity checks the shares; a truncated or edited log, another vault's identity are caught"

# A vault operation no record explains: someone asks the open vault for a key mid-ceremony.
E3=$T/evidence-3
run_expect 0 "$CEREMONY" begin -e "$E3" -s "$T/scenario.xml" -V "$V" -k "$(K alice)" -k "$(K dave)"
run_expect 0 "$CEREMONY" record -e "$E3" --step room-check --value bag-serial=TEB-000004 -k "$(K alice)" -k "$(K dave)"
"$CEREMONY" share -e "$E3" --step unseal -V "$V" --share "$S/bob.share" --passphrase-file "$T/bob.pass" -k "$(K bob)" >/dev/null
"$CEREMONY" share -e "$E3" --step unseal -V "$V" --share "$S/erin.share" --passphrase-file "$T/erin.pass" -k "$(K erin)" >/dev/null
run_expect 0 "$CEREMONY" record -e "$E3" --step unseal -V "$V" -k "$(K bob)" -k "$(K erin)" -k "$(K dave)"
sleep 1 # past the second the ceremony began: the join leaves that second out
run_expect 0 "${VAULT_REQUEST:?}" "$V" generate who=mallory label=rogue alg=ed25519
run_expect 1 "$CEREMONY_VERIFY_BIN" -e "$E3" -s "$T/scenario.xml" --vault-log "$V/vault.log"
out_has "vault-op-unexplained: vault log line"
out_has "generate rogue by mallory, ok, during the ceremony; no record explains it"
[ "$(grep -c 'vault-op-' "$T/out")" -eq 1 ] || fail "more than the rogue operation was found: $(cat "$T/out")"
pass "a vault operation no record explains is found by the join"

# A share that is not a share of the vault's secret, in a record insiders wrote by hand and signed
# (evidence append --record): the check against the vault's commitments finds it.
git -C "$E3" show main:records/00/00/00/02/record.xml >"$T/e3-unseal.xml"
bob_op=$(grep '<vault-operation op="unseal-share" .*who="bob"' "$T/e3-unseal.xml")
bob_seq=$(echo "$bob_op" | sed 's/.*log-seq="\([0-9]*\)".*/\1/')
bob_hash=$(echo "$bob_op" | sed 's/.*log-hash="\([0-9a-f]*\)".*/\1/')
scenario_hash=$(sed -n 's:.*<scenario-sha256>\(.*\)</scenario-sha256>.*:\1:p' "$T/e3-unseal.xml")
cat >"$T/forged.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<record xmlns="urn:ceremony:record:1" version="1">
  <ceremony>keygen-test</ceremony>
  <scenario-sha256>$scenario_hash</scenario-sha256>
  <session>1</session>
  <sequence>3</sequence>
  <previous-sha256>$(sha256sum <"$T/e3-unseal.xml" | cut -d' ' -f1)</previous-sha256>
  <step>generate</step>
  <type>incident</type>
  <time>$(date -u +%Y-%m-%dT%H:%M:%SZ)</time>
  <actor>alice</actor>
  <payload>
    <vault-operation op="unseal-share" outcome="ok" log-seq="$bob_seq" log-hash="$bob_hash" who="bob" share-index="1" share-point="$(printf 'ab%.0s' $(seq 32))"/>
    <incident kind="declared">
      <expected>step generate</expected>
      <happened>bob's share, reported again</happened>
    </incident>
  </payload>
</record>
XML
run_expect 0 "$CEREMONY" evidence append -e "$E3" --record "$T/forged.xml" -k "$(K alice)" -k "$(K dave)"
run_expect 1 "$CEREMONY_VERIFY_BIN" -e "$E3" -s "$T/scenario.xml" --vault-identity "$V/vault.json"
out_has "vault-share-invalid: step generate: the share bob contributed (share 1) is not a share of this vault's secret"
[ "$(grep -c 'vault-share-invalid' "$T/out")" -eq 1 ] || fail "the true contributions were not accepted as such"
run_expect 2 "$CEREMONY" evidence append -e "$E3" --record "$T/nowhere.xml" -k "$(K alice)"
err_one_line; err_has "nowhere.xml"
pass "a share that is not a share of the vault's secret is found against the vault's commitments"

# A key destroyed, then used again in a later session: insiders report it (hand-written records,
# signed); the replay of the script finds the use of a destroyed key.
record_path() { printf 'records/%s/%s/%s/%s/record.xml' $(printf '%08d' "$1" | sed 's/../& /g'); }
forge_incident() { # forge_incident SEQUENCE SESSION VAULT-OPERATION-LINE: an incident record after the tip
	local prev
	prev=$(git -C "$E3" show "main:$(record_path $(($1 - 1)))" | sha256sum | cut -d' ' -f1)
	cat >"$T/forged-$1.xml" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<record xmlns="urn:ceremony:record:1" version="1">
  <ceremony>keygen-test</ceremony>
  <scenario-sha256>$scenario_hash</scenario-sha256>
  <session>$2</session>
  <sequence>$1</sequence>
  <previous-sha256>$prev</previous-sha256>
  <step>room-check</step>
  <type>incident</type>
  <time>$(date -u +%Y-%m-%dT%H:%M:%SZ)</time>
  <actor>alice</actor>
  <payload>
    $3
    <incident kind="declared">
      <expected>step room-check</expected>
      <happened>what the vault did, reported</happened>
    </incident>
  </payload>
</record>
XML
	run_expect 0 "$CEREMONY" evidence append -e "$E3" --record "$T/forged-$1.xml" -k "$(K alice)" -k "$(K dave)"
}
fp=$(printf 'cd%.0s' $(seq 32))
run_expect 0 "$CEREMONY" restart -e "$E3" -k "$(K alice)" -k "$(K dave)" # session 2
forge_incident 5 2 "<vault-operation op=\"destroy\" outcome=\"ok\" log-seq=\"1\" log-hash=\"$fp\" label=\"old-key\" fingerprint=\"$fp\"/>"
run_expect 0 "$CEREMONY" restart -e "$E3" -k "$(K alice)" -k "$(K dave)" # session 3
forge_incident 7 3 "<vault-operation op=\"sign\" outcome=\"ok\" log-seq=\"2\" log-hash=\"$fp\" label=\"old-key\" algorithm=\"ed25519\" fingerprint=\"$fp\" message-sha256=\"$fp\" signature-sha256=\"$fp\"/>"
run_expect 1 "$CEREMONY_VERIFY_BIN" -e "$E3" -s "$T/scenario.xml"
out_has "script-key-destroyed: vault operation sign on key old-key, whose fingerprint is that of a destroyed key"
pass "a key destroyed earlier and used again is found by the replay"

# The secret canary: no share, master secret, key-encryption key or private key, raw, hex or base64,
# in the evidence (every object, uncompressed), the vault log and identity, the files we exported,
# or anything a command printed.
git -C "$E" cat-file --batch-all-objects --batch >"$T/objects.dump"
find "$E" -type f >"$T/evidence-files"
run_expect 0 "${SECRET_CANARY:?SECRET_CANARY must name the secret-canary test tool}" "$V" \
	"$S/bob.share" "$T/bob.pass" "$S/carol.share" "$T/carol.pass" -- \
	"$T/objects.dump" $(cat "$T/evidence-files") "$V/vault.log" "$V/vault.json" "$V/keys/firmware-signing.pub" \
	"$T/fw.pub.pem" "$T/firmware.bin.sig" "$T/transcript" "$T/serve.err"
out_has "none found"
grep -qE '^[4-9] secrets|^[1-9][0-9]+ secrets' "$T/out" || fail "the canary checked too few secrets: $(cat "$T/out")"
# and the canary does find a secret where one is (base64, at an odd alignment, inside text)
run_expect 1 "$SECRET_CANARY" --plant "$T/planted" "$V" "$S/bob.share" "$T/bob.pass" "$S/carol.share" "$T/carol.pass" \
	-- "$V/vault.log" "$T/planted"
out_has "FOUND share 1 of bob (base64) in $T/planted"
run_expect 2 "$SECRET_CANARY" "$V" "$S/bob.share" "$T/bob.pass" "$S/carol.share" "$T/carol.pass" -- "$T/no-such-file"
pass "no secret, raw, hex or base64, in the evidence, the vault log, the exported files or any output"
finish
