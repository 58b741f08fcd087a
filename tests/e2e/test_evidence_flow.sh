#!/usr/bin/env bash
# A whole evidence lifecycle with keys from stock ssh-keygen, checked by stock git and ssh-keygen.
. "$(dirname "$0")/lib.sh"
E=$T/evidence

new_ceremony "$E"
out_has "genesis record 0 committed"
run_expect 3 "$CEREMONY" verify -e "$E"
out_has "verdict: UNANCHORED"
pass "a fresh repository with its genesis record, and nothing from outside to pin it: unanchored (exit 3)"

run_expect 0 "$CEREMONY" evidence append -e "$E" --step prepare-room --value bag-serial=TEB-1 --note "all good" \
	-k "$T/keys/bob" -k "$T/keys/carol"
out_has "record 1 (step prepare-room) committed"
run_expect 0 "$CEREMONY" evidence append -e "$E" --step second -k "$T/keys/carol"
run_expect 3 "$CEREMONY" verify -e "$E"
pass "appended steps verify, still open"

run_expect 0 "$CEREMONY" evidence append -e "$E" --step close --type close -k "$T/keys/alice" -k "$T/keys/bob" -k "$T/keys/carol"
closing=$(sed -n 's/^closing hash: //p' "$T/out")
[ ${#closing} -eq 64 ] || fail "no closing hash printed"
words=$(sed -n 's/^closing words: //p' "$T/out")
[ "$(echo "$words" | wc -w)" -eq 32 ] || fail "closing words are not 32 words: $words"
[ "$(git -C "$E" show main:records/00/00/00/03/record.xml | sha256sum | cut -c1-64)" = "$closing" ] ||
	fail "closing hash is not the SHA-256 of the closing record (checked with sha256sum)"
pass "close prints the closing hash (= sha256sum of the closing record) and 32 PGP words"

run_expect 0 "$CEREMONY" verify -e "$E" --closing-hash "$closing" -s "$T/scenario"
out_has "verdict: VERIFIED"
pass "closed ceremony verifies with its closing hash and scenario (exit 0)"

run_expect 1 "$CEREMONY" evidence append -e "$E" --step late -k "$T/keys/alice"
err_one_line; err_has "the ceremony is closed"
pass "nothing can be appended after close (exit 1)"

# Independent witnesses.
allowed_signers "$E"
for c in $(git -C "$E" rev-list main); do
	git -C "$E" -c gpg.ssh.allowedSignersFile="$T/allowed_signers" verify-commit "$c" 2>"$T/vc" ||
		{ cat "$T/vc" >&2; fail "git verify-commit $c"; }
	grep -q 'Good "git" signature for' "$T/vc" || fail "git verify-commit did not say Good"
done
pass "stock git verify-commit accepts every commit"
git -C "$E" fsck --strict --no-dangling 2>"$T/fsck" || { cat "$T/fsck" >&2; fail "git fsck --strict"; }
[ ! -s "$T/fsck" ] || { cat "$T/fsck" >&2; fail "git fsck printed warnings"; }
pass "stock git fsck --strict is clean"
[ "$(git -C "$E" rev-list --merges main | wc -l)" -eq 0 ] && [ "$(git -C "$E" for-each-ref | wc -l)" -eq 1 ] ||
	fail "not one linear branch"
pass "one branch, no merges"

checked=0
for seq in 00 01 02 03; do
	dir=records/00/00/00/$seq
	git -C "$E" show "main:$dir/record.xml" >"$T/record.xml"
	xmllint --noout --nonet --schema "$CEREMONY_SOURCE_DIR/templates/record.xsd" "$T/record.xml" 2>"$T/xmllint" ||
		{ cat "$T/xmllint" >&2; fail "xmllint --schema record.xsd $dir"; }
	for sig in $(git -C "$E" ls-tree --name-only "main:$dir/signoffs"); do
		git -C "$E" show "main:$dir/signoffs/$sig" >"$T/sig"
		fp=$(ssh-keygen -Y check-novalidate -n ceremony-record@ceremony -s "$T/sig" <"$T/record.xml" 2>&1) ||
			fail "ssh-keygen check-novalidate $dir/$sig: $fp"
		principal=$(ssh-keygen -Y find-principals -s "$T/sig" -f "$T/allowed_signers")
		ssh-keygen -Y verify -f "$T/allowed_signers" -I "$principal" -n ceremony-record@ceremony -s "$T/sig" \
			<"$T/record.xml" >/dev/null || fail "ssh-keygen -Y verify $dir/$sig"
		checked=$((checked + 1))
	done
done
[ "$checked" -eq 8 ] || fail "expected 8 sign-offs, checked $checked"
pass "stock ssh-keygen -Y verify accepts all 8 sign-offs, each by its roster principal; xmllint validates every record"

run_expect 0 "$CEREMONY" evidence log -e "$E"
out_has "prepare-room"
out_has "signed by"
grep -q '^ *1  session 1  step     prepare-room .* actor bob  signed by .*bob' "$T/out" || fail "log line for record 1"
pass "log lists the records"

# Truncation from the end: authentic but open without the closing hash; caught with it.
cp -a "$E" "$T/truncated"
git -C "$T/truncated" update-ref refs/heads/main main~1
run_expect 3 "$CEREMONY" verify -e "$T/truncated"
run_expect 1 "$CEREMONY" verify -e "$T/truncated" --closing-hash "$closing"
out_has "closing-hash-mismatch"
pass "truncation from the end is caught given the closing hash"

echo "another scenario" >"$T/other-scenario"
run_expect 1 "$CEREMONY" verify -e "$E" -s "$T/other-scenario"
out_has "scenario-mismatch"
pass "a swapped scenario is caught"

finish
