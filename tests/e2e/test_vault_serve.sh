#!/usr/bin/env bash
# The vault process: sealed at start, opened by a quorum of share contributions over its socket,
# keys generated, exported and used as stock openssl expects, destroyed for good, sealed; every
# operation in the signed log, which `vault log verify` checks and stock jq reads; every refusal.
. "$(dirname "$0")/lib.sh"
REQ=${VAULT_REQUEST:?VAULT_REQUEST must name the vault-request test tool}
V=$T/vault
S=$T/shares
for k in bob carol erin; do printf 'passphrase of %s\n' $k >"$T/$k.pass"; chmod 600 "$T/$k.pass"; done
init() { # init DIR SHARES
	"$CEREMONY" vault init -V "$1" --shares "$2" -t 2 --keymaster bob --keymaster carol --keymaster erin \
		--passphrase-file bob="$T/bob.pass" --passphrase-file carol="$T/carol.pass" --passphrase-file erin="$T/erin.pass" \
		--insecure-fast-kdf
}
serve_pid=
serve() { # serve DIR: start the vault process, wait until it answers
	"$CEREMONY" vault serve -V "$1" 2>>"$T/serve.err" &
	serve_pid=$!
	cleanup_hooks+=("kill $serve_pid 2>/dev/null")
	for _ in $(seq 100); do
		[ -S "$1/vault.sock" ] && "$CEREMONY" vault status -V "$1" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	cat "$T/serve.err" >&2
	fail "the vault process did not start"
}
stop() { kill "$serve_pid"; wait "$serve_pid" || true; }
share() { # share KEYMASTER [PASSFILE] [SHAREFILE]
	"$CEREMONY" share -V "$V" --share "${3:-$S/$1.share}" --passphrase-file "${2:-$T/$1.pass}"
}
field() { sed -n "s/^$1=//p" "$T/out"; }

run_expect 0 init "$V" "$S"
serve "$V"
[ "$(stat -c %a "$V/vault.sock")" = 600 ] || fail "the socket is not mode 0600"
run_expect 0 "$CEREMONY" vault status -V "$V"
out_has "vault process: sealed, 0 of 2 shares contributed"
pass "the vault process starts sealed, on a socket only its owner may open"

run_expect 1 "$REQ" "$V" generate who=mallory label=early alg=ed25519
grep -qF "message=the vault is sealed" "$T/out" || fail "a key operation while sealed was not refused as such"
pass "a key operation is refused while the vault is sealed"

run_expect 1 share carol "$T/bob.pass"
err_one_line; err_has "carol.share: wrong passphrase or corrupted share file"
cp "$S/carol.share" "$T/corrupt.share"
size=$(stat -c %s "$T/corrupt.share")
at=$((size - 20))
byte=$(od -An -tu1 -j "$at" -N1 "$T/corrupt.share" | tr -d ' ')
printf "\\$(printf %03o $((byte ^ 1)))" | dd of="$T/corrupt.share" bs=1 seek="$at" conv=notrunc 2>/dev/null
run_expect 1 share carol "" "$T/corrupt.share"
err_one_line; err_has "corrupt.share: wrong passphrase or corrupted share file"
run_expect 0 init "$T/other" "$T/other-shares"
run_expect 1 share carol "" "$T/other-shares/carol.share"
err_one_line; err_has "another vault"
pass "a wrong passphrase, a corrupted share file and a share of another vault are refused"

run_expect 0 share bob
out_has "share 1 of bob accepted (1 of 2)"
out_has "the vault stays sealed until enough key masters contribute"
run_expect 1 share bob
err_one_line; err_has "the vault refused unseal-share (vault log entry"
err_has "bob has already contributed a share"
# A share that decrypts but is not the vault's: sent raw, as a hostile client would.
head -c 32 /dev/zero | tr '\0' '\1' >"$T/bad-share"
run_expect 1 "$REQ" "$V" unseal-share who=erin index=3 --payload "$T/bad-share"
grep -qF "message=the share of erin does not match the vault's commitments" "$T/out" || fail "bad share not attributed"
run_expect 1 "$REQ" "$V" unseal-share who=erin index=2 --payload "$T/bad-share"
grep -qF "message=share 2 is not erin's in this vault" "$T/out" || fail "a share under another's index was accepted"
jq -se 'any(.[]; .op == "unseal-share" and .who == "erin" and .outcome == "refused")' "$V/vault.log" >/dev/null ||
	fail "the refused contribution is not in the log"
pass "the same key master cannot count twice; a bad share is refused and attributed to its key master"

run_expect 0 share carol
out_has "share 2 of carol accepted (2 of 2)"
out_has "the vault is open"
run_expect 0 "$CEREMONY" vault status -V "$V"
out_has "vault process: unsealed (open)"
jq -se 'any(.[]; .op == "unseal" and .outcome == "ok" and (.certifies | length) == 64 and (has("signer") | not))' \
	"$V/vault.log" >/dev/null || fail "no audit-signed unseal entry certifying the session key"
pass "at the quorum the vault opens; the audit-signed unseal entry certifies the session key"

head -c 100000 /dev/urandom >"$T/firmware.bin"
for alg in ecdsa-p256 ecdsa-p384 rsa-3072 rsa-4096 ed25519; do
	label=fw-$alg
	run_expect 0 "$REQ" "$V" generate who=operator label=$label alg=$alg
	fp=$(field fingerprint)
	run_expect 0 "$REQ" "$V" export who=operator label=$label --out "$T/$label.pem"
	[ "$(field fingerprint)" = "$fp" ] || fail "$alg: export names another fingerprint"
	[ "$(openssl pkey -pubin -in "$T/$label.pem" -outform DER | sha256sum | cut -d' ' -f1)" = "$fp" ] ||
		fail "$alg: the fingerprint is not the SHA-256 of the DER SubjectPublicKeyInfo as openssl computes it"
	run_expect 0 "$REQ" "$V" sign who=operator label=$label --payload "$T/firmware.bin" --out "$T/$label.sig"
	[ "$(field message-sha256)" = "$(sha256sum "$T/firmware.bin" | cut -d' ' -f1)" ] || fail "$alg: message hash"
	case $alg in
	ed25519) openssl pkeyutl -verify -pubin -inkey "$T/$label.pem" -rawin -in "$T/firmware.bin" \
		-sigfile "$T/$label.sig" >/dev/null || fail "$alg: openssl does not verify the signature" ;;
	ecdsa-p384) openssl dgst -sha384 -verify "$T/$label.pem" -signature "$T/$label.sig" "$T/firmware.bin" \
		>/dev/null || fail "$alg: openssl does not verify the signature" ;;
	*) openssl dgst -sha256 -verify "$T/$label.pem" -signature "$T/$label.sig" "$T/firmware.bin" \
		>/dev/null || fail "$alg: openssl does not verify the signature" ;;
	esac
	jq -se --arg l $label --arg fp "$fp" 'any(.[]; .op == "sign" and .label == $l and .fingerprint == $fp)' \
		"$V/vault.log" >/dev/null || fail "$alg: the signature is not in the log with the key's fingerprint"
done
pass "keys of each algorithm: fingerprints equal openssl's, signatures verify with stock openssl, all logged"

run_expect 1 "$REQ" "$V" generate who=operator label=fw-ed25519 alg=ed25519
grep -qF 'message=key "fw-ed25519" already exists' "$T/out" || fail "a label was reused"
run_expect 1 "$REQ" "$V" generate who=operator label=weak alg=rsa-1024
grep -qF 'unsupported key algorithm' "$T/out" || fail "an unknown algorithm was accepted"
run_expect 1 "$REQ" "$V" frobnicate who=operator
grep -qF 'unknown operation' "$T/out" || fail "an unknown operation was accepted"
run_expect 1 "$REQ" "$V" seal
grep -qF 'does not name who asks' "$T/out" || fail "a request naming nobody was accepted"
jq -se 'any(.[]; .op == "refuse" and (.who | startswith("uid=")))' "$V/vault.log" >/dev/null ||
	fail "a request naming nobody is not logged under its connection"
pass "a reused label, an unknown algorithm or operation, a request naming nobody: refused and logged"

# A keystore file altered on disk is detected and not used.
cp "$V/keys/fw-rsa-3072.key" "$T/saved.key"
size=$(stat -c %s "$V/keys/fw-rsa-3072.key")
at=$((size - 10))
byte=$(od -An -tu1 -j "$at" -N1 "$V/keys/fw-rsa-3072.key" | tr -d ' ')
printf "\\$(printf %03o $((byte ^ 1)))" | dd of="$V/keys/fw-rsa-3072.key" bs=1 seek="$at" conv=notrunc 2>/dev/null
run_expect 1 "$REQ" "$V" sign who=operator label=fw-rsa-3072 --payload "$T/firmware.bin" --out "$T/none.sig"
grep -qF "was altered or belongs to another vault" "$T/out" || fail "an altered key file was used"
[ ! -s "$T/none.sig" ] || fail "a signature came out of an altered key file"
cp "$T/saved.key" "$V/keys/fw-rsa-3072.key"
pass "a keystore file altered on disk is detected and not used"

run_expect 0 "$REQ" "$V" destroy who=operator label=fw-ecdsa-p256
[ ! -e "$V/keys/fw-ecdsa-p256.key" ] || fail "the key file is still there"
run_expect 1 "$REQ" "$V" sign who=operator label=fw-ecdsa-p256 --payload "$T/firmware.bin"
grep -qF 'was destroyed' "$T/out" || fail "a destroyed key was used"
old_fp=$(jq -rs 'map(select(.op == "destroy" and .label == "fw-ecdsa-p256"))[0].fingerprint' "$V/vault.log")
run_expect 0 "$REQ" "$V" generate who=operator label=fw-ecdsa-p256 alg=ecdsa-p256
[ "$(field fingerprint)" != "$old_fp" ] || fail "the label's new key is the destroyed one"
[ -e "$V/keys/fw-ecdsa-p256.destroyed-${old_fp:0:16}" ] || fail "the destroyed key's tombstone was not kept"
pass "a destroyed key is gone for good; its label may name a new key, the old tombstone kept"

run_expect 0 "$CEREMONY" vault pubkey -V "$V" --label fw-ed25519 -o "$T/pubkey.pem"
out_has "fingerprint: $(openssl pkey -pubin -in "$T/pubkey.pem" -outform DER | sha256sum | cut -d' ' -f1)"
cmp -s "$T/pubkey.pem" "$T/fw-ed25519.pem" || fail "vault pubkey does not give the exported key"
run_expect 2 "$CEREMONY" vault pubkey -V "$V" --label nope
err_one_line; err_has "nope.pub"
run_expect 2 "$CEREMONY" vault pubkey -V "$V" --label ../etc
err_one_line
pass "vault pubkey: the public key and its fingerprint, which openssl computes the same"

run_expect 0 "$CEREMONY" vault seal -V "$V"
out_has "vault sealed"
run_expect 1 "$REQ" "$V" sign who=operator label=fw-ed25519 --payload "$T/firmware.bin"
grep -qF "message=the vault is sealed" "$T/out" || fail "the vault signed after seal"
stop
[ ! -e "$V/vault.sock" ] || fail "the socket was left behind"
run_expect 0 "$CEREMONY" vault log verify -V "$V"
out_has "chain and signatures verified"
for op in serve self-test unseal-share unseal generate export sign destroy seal refuse; do
	jq -se --arg op $op 'any(.[]; .op == $op)' "$V/vault.log" >/dev/null || fail "no $op entry in the log"
done
pass "seal wipes; the log holds every kind of operation and verifies"

# The process ends while open: it seals (logged) on SIGTERM.
serve "$V"
run_expect 0 share erin
run_expect 0 share bob
out_has "the vault is open"
stop
tail -n 1 "$V/vault.log" | jq -e '.op == "seal" and (.detail | test("signal 15"))' >/dev/null ||
	fail "the vault did not seal as its process ended"
run_expect 0 "$CEREMONY" vault log verify -V "$V"
pass "a vault process that ends while open seals first, in the log"

# Entries no unseal certifies: verified as a chain, exit 3.
serve "$V"
run_expect 0 share erin
stop
run_expect 3 "$CEREMONY" vault log verify -V "$V"
out_has "signed by a session key no audit-signed entry certifies"
pass "entries of a session that never opened are reported as uncertified (exit 3)"

# Edited, deleted, reordered lines: the first bad line is named.
cp "$V/vault.log" "$T/good.log"
sed '5s/"who":"/"who":"x/' "$T/good.log" >"$T/edited.log"
run_expect 1 "$CEREMONY" vault log verify -V "$V" --log "$T/edited.log"
err_one_line; err_has "edited.log: line 5: bad signature"
sed '4d' "$T/good.log" >"$T/deleted.log"
run_expect 1 "$CEREMONY" vault log verify -V "$V" --log "$T/deleted.log"
err_one_line; err_has "deleted.log: line 4: seq is 4 where 3 was expected"
{ sed -n '1,3p' "$T/good.log"; sed -n '5p' "$T/good.log"; sed -n '4p' "$T/good.log"; sed -n '6,$p' "$T/good.log"; } >"$T/reordered.log"
run_expect 1 "$CEREMONY" vault log verify -V "$V" --log "$T/reordered.log"
err_one_line; err_has "reordered.log: line 4: seq is 4 where 3 was expected"
# A forged line signed by a session key the attacker made is not the vault's word.
pass "a vault log line edited, deleted or reordered is named"

# The vault refuses to start on a log that does not verify.
cp "$T/edited.log" "$V/vault.log"
run_expect 1 "$CEREMONY" vault serve -V "$V"
err_one_line; err_has "the vault refuses to start on a log that does not verify"
cp "$T/good.log" "$V/vault.log"
pass "the vault refuses to start on a tampered log"

# Another process cannot serve the same vault at once.
serve "$V"
run_expect 1 "$CEREMONY" vault serve -V "$V"
err_one_line
stop
pass "one vault process per vault directory"
finish
