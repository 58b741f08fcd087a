#!/usr/bin/env bash
# The attacks of DESIGN.md section 7 that the first layer of verify sees, made with stock git
# plumbing and ssh-keygen as an attacker would, each asserting its own finding.
. "$(dirname "$0")/lib.sh"
E=$T/evidence

new_ceremony "$E"
run_expect 0 "$CEREMONY" evidence append -e "$E" --step s1 --value v=1 -k "$T/keys/alice" -k "$T/keys/bob"
run_expect 0 "$CEREMONY" evidence append -e "$E" --step s2 --value v=2 -k "$T/keys/bob" -k "$T/keys/carol"
run_expect 0 "$CEREMONY" evidence append -e "$E" --step close --type close -k "$T/keys/alice" -k "$T/keys/bob" -k "$T/keys/carol"
closing=$(sed -n 's/^closing hash: //p' "$T/out")
keygen mallory
allowed_signers "$E"
run_expect 0 "$CEREMONY" verify -e "$E" --closing-hash "$closing"

# attack NAME: a fresh copy of the evidence at $A to tamper with.
attack() { A=$T/attack-$1; rm -rf "$A"; cp -a "$E" "$A"; }
# expect_finding CODE [RECORD]: verify refuses (exit 1) with that finding code.
expect_finding() {
	run_expect 1 "$CEREMONY" verify -e "$A" --closing-hash "$closing"
	out_has ": $1: "
	[ -z "${2:-}" ] || grep -q "^record $2 .*: $1: " "$T/out" || { cat "$T/out" >&2; fail "$1 not at record $2"; }
	out_has "NOT VERIFIED"
}
# commit_as KEY TREE PARENT MESSAGE: a commit signed by KEY (or unsigned when KEY is "-") via stock git.
commit_as() {
	local key=$1 tree=$2 parent=$3 msg=$4 config=() sign=()
	if [ "$key" != - ]; then
		config=(-c gpg.format=ssh -c "user.signingkey=$T/keys/$key")
		sign=(-S)
	fi
	git -C "$A" "${config[@]}" commit-tree "${sign[@]}" "$tree" -p "$parent" -m "$msg"
}
# replace_in_tree BASE PATH BLOB: BASE's tree with PATH set to BLOB (through a throwaway index).
replace_in_tree() {
	local idx=$T/index.$$
	rm -f "$idx"
	GIT_INDEX_FILE=$idx git -C "$A" read-tree "$1"
	GIT_INDEX_FILE=$idx git -C "$A" update-index --add --cacheinfo "100644,$3,$2"
	GIT_INDEX_FILE=$idx git -C "$A" write-tree
}
# The sign-off file name: hex SHA-256 of the key blob.
sig_name() { cut -d' ' -f2 "$T/keys/$1.pub" | base64 -d | sha256sum | cut -c1-64; }
R3=records/00/00/00/03

attack rewrite
c1=$(commit_as - "main~2^{tree}" "$(git -C "$A" rev-parse main~3)" "rewritten")
c2=$(commit_as - "main~1^{tree}" "$c1" "rewritten")
c3=$(commit_as - "main^{tree}" "$c2" "rewritten")
git -C "$A" update-ref refs/heads/main "$c3"
expect_finding commit-unsigned 1
pass "history rewritten without the roster's keys: commit-unsigned"

attack foreign
git -C "$A" show "main:$R3/record.xml" | sed 's/<type>close/<type>close/; s/<step>close</<step>close-edited</' >"$T/edited.xml"
ssh-keygen -Y sign -q -f "$T/keys/mallory" -n ceremony-record@ceremony "$T/edited.xml"
blob=$(git -C "$A" hash-object -w "$T/edited.xml")
sig=$(git -C "$A" hash-object -w "$T/edited.xml.sig")
tree=$(replace_in_tree main "$R3/record.xml" "$blob")
tree=$(GIT_INDEX_FILE=$T/ix git -C "$A" read-tree "$tree" && GIT_INDEX_FILE=$T/ix git -C "$A" rm -q --cached -r "$R3/signoffs" &&
	GIT_INDEX_FILE=$T/ix git -C "$A" update-index --add --cacheinfo "100644,$sig,$R3/signoffs/$(sig_name mallory).sig" &&
	GIT_INDEX_FILE=$T/ix git -C "$A" write-tree)
git -C "$A" update-ref refs/heads/main "$(commit_as mallory "$tree" "$(git -C "$A" rev-parse main~1)" edited)"
expect_finding signoff-unknown-key 3
out_has ": commit-signer-unknown: "
out_has ": closing-hash-mismatch: "
pass "a record edited and re-signed by a foreign key: signoff-unknown-key, commit-signer-unknown"

attack extra-header
git -C "$A" cat-file commit main >"$T/raw"
# Repeat the gpgsig header (with its continuation lines) right after itself.
awk '/^gpgsig /{insig=1; block=$0 "\n"; print; next}
	insig && /^ /{block=block $0 "\n"; print; next}
	insig{insig=0; printf "%s", block} {print}' "$T/raw" >"$T/raw2"
[ "$(grep -c '^gpgsig ' "$T/raw2")" -eq 2 ] || fail "could not craft a second gpgsig header"
c=$(git -C "$A" hash-object -t commit -w --literally "$T/raw2")
git -C "$A" update-ref refs/heads/main "$c"
git -C "$A" -c gpg.ssh.allowedSignersFile="$T/allowed_signers" verify-commit main 2>/dev/null ||
	fail "stock git should still accept the commit (it reads the first signature only)"
expect_finding commit-signature-extra 3
pass "an extra signature header, which stock git verify-commit does not see: commit-signature-extra"

attack namespace
git -C "$A" show "main:$R3/record.xml" >"$T/r3.xml"
ssh-keygen -Y sign -q -f "$T/keys/bob" -n git "$T/r3.xml"
sig=$(git -C "$A" hash-object -w "$T/r3.xml.sig")
tree=$(replace_in_tree main "$R3/signoffs/$(sig_name bob).sig" "$sig")
git -C "$A" update-ref refs/heads/main "$(commit_as alice "$tree" "$(git -C "$A" rev-parse main~1)" ns)"
expect_finding signoff-namespace 3
pass "a sign-off in another namespace, even by the right person: signoff-namespace"

attack replay
E2=$T/evidence-2
echo "other scenario" >"$T/scenario-2"
run_expect 0 "$CEREMONY" evidence init -e "$E2" --ceremony test-2 --roster "$T/roster" -s "$T/scenario-2" -k "$T/keys/alice"
run_expect 0 "$CEREMONY" evidence append -e "$E2" --step s1 -k "$T/keys/bob"
run_expect 0 "$CEREMONY" evidence append -e "$E2" --step s2 -k "$T/keys/bob"
run_expect 0 "$CEREMONY" evidence append -e "$E2" --step close --type close -k "$T/keys/bob"
git -C "$E2" show "main:$R3/signoffs/$(sig_name bob).sig" >"$T/replayed.sig"
sig=$(git -C "$A" hash-object -w "$T/replayed.sig")
tree=$(replace_in_tree main "$R3/signoffs/$(sig_name bob).sig" "$sig")
git -C "$A" update-ref refs/heads/main "$(commit_as alice "$tree" "$(git -C "$A" rev-parse main~1)" replay)"
expect_finding signoff-invalid 3
pass "a sign-off replayed from another ceremony's repository: signoff-invalid"

attack corrupt
obj=$(git -C "$A" rev-parse "main:records/00/00/00/02/record.xml")
f="$A/objects/${obj:0:2}/${obj:2}"
chmod u+w "$f"
printf 'garbage' >"$f"
expect_finding object-corrupt 2
pass "a corrupt object: object-corrupt"

attack branch
git -C "$A" branch side main~1
expect_finding ref-extra
pass "an extra branch: ref-extra"

attack merge
m=$(commit_as alice "main^{tree}" "$(git -C "$A" rev-parse main~1)" side)
c=$(git -C "$A" -c gpg.format=ssh -c "user.signingkey=$T/keys/alice" commit-tree -S "main^{tree}" -p main -p "$m" -m merge)
git -C "$A" update-ref refs/heads/main "$c"
expect_finding history-merge
pass "a merge commit: history-merge"

attack dropped
# Drop record 2: replay record 3's commit on top of record 1, signed by a roster key (an insider).
rm -f "$T/ix"
GIT_INDEX_FILE=$T/ix git -C "$A" read-tree main~2
git -C "$A" ls-tree -r "main:$R3" | sed "s|\t|\t$R3/|" | GIT_INDEX_FILE=$T/ix git -C "$A" update-index --index-info
tree=$(GIT_INDEX_FILE=$T/ix git -C "$A" write-tree)
c=$(commit_as alice "$tree" "$(git -C "$A" rev-parse main~2)" dropped)
git -C "$A" update-ref refs/heads/main "$c"
expect_finding record-sequence 2
out_has "record 2 (commit ${c:0:12}): record-chain: "
out_has "tree-layout: the commit adds the directory of record 3 at position 2"
pass "a record dropped from the middle, even re-signed by an insider: found"

# A whole ceremony forged with the forger's own keys, pinned to the real scenario's hash: without
# the published scenario's roster or the closing hash, nothing from outside pins it: never exit 0.
keygen forger1; keygen forger2
printf 'alice %s\nbob %s\n' "$(cut -d' ' -f1,2 "$T/keys/forger1.pub")" "$(cut -d' ' -f1,2 "$T/keys/forger2.pub")" >"$T/forged-roster"
run_expect 0 "$CEREMONY" evidence init -e "$T/forged" --ceremony test-1 --roster "$T/forged-roster" -s "$T/scenario" -k "$T/keys/forger1"
run_expect 0 "$CEREMONY" evidence append -e "$T/forged" --step close --type close -k "$T/keys/forger1" -k "$T/keys/forger2"
run_expect 3 "$CEREMONY" verify -e "$T/forged"
out_has "verdict: UNANCHORED"
run_expect 3 "$CEREMONY" verify -e "$T/forged" --scenario-hash "$(sha256sum <"$T/scenario" | cut -c1-64)"
out_has "verdict: UNANCHORED"
run_expect 1 "$CEREMONY" verify -e "$T/forged" --closing-hash "$closing"
out_has "closing-hash-mismatch"
pass "a ceremony forged with the forger's own roster is never VERIFIED without an anchor, and the closing hash refutes it"

attack escape
blob=$(echo x | git -C "$A" hash-object -w --stdin)
tree=$(replace_in_tree main "$R3/z"$'\e'"[2K"$'\r'"verdict: VERIFIED" "$blob")
git -C "$A" update-ref refs/heads/main "$(commit_as alice "$tree" "$(git -C "$A" rev-parse main~1)" escape)"
run_expect 1 "$CEREMONY" verify -e "$A"
out_has 'unexpected entry z\x1b[2K\x0dverdict: VERIFIED in the record directory'
! grep -q $'\e' "$T/out" || fail "an escape sequence from the evidence reached the output"
pass "names from the evidence reach the terminal escaped (no escape sequence can fake a verdict)"

attack inflate
# 200 MB of zeros compress to a few hundred KB: verify must refuse it by size, not read it.
big=$(head -c 200000000 /dev/zero | git -C "$A" hash-object -w --stdin)
tree=$(replace_in_tree main "$R3/record.xml" "$big")
git -C "$A" update-ref refs/heads/main "$(commit_as alice "$tree" "$(git -C "$A" rev-parse main~1)" inflate)"
/usr/bin/time -f "%M" -o "$T/rss" "$CEREMONY" verify -e "$A" >"$T/out" 2>"$T/err" && fail "verify accepted an oversized record"
out_has "is larger than 262144 bytes"
rss=$(tail -n 1 "$T/rss")
[ "$rss" -lt 65536 ] || fail "verify used $rss KiB on an oversized object"
pass "an object that would inflate to 200 MB is refused by its size, in bounded memory"

attack afterclose
# A record after the close record, well formed, chained and signed by roster keys (insiders).
prev=$(git -C "$A" show "main:$R3/record.xml" | sha256sum | cut -c1-64)
git -C "$A" show "main:records/00/00/00/01/record.xml" |
	sed -e "s|<sequence>1</sequence>|<sequence>4</sequence>|" \
	    -e "s|<previous-sha256>[0-9a-f]*</previous-sha256>|<previous-sha256>$prev</previous-sha256>|" \
	    -e "s|<step>s1</step>|<step>late</step>|" >"$T/late.xml"
ssh-keygen -Y sign -q -f "$T/keys/alice" -n ceremony-record@ceremony "$T/late.xml"
rm -f "$T/ix"
GIT_INDEX_FILE=$T/ix git -C "$A" read-tree main
GIT_INDEX_FILE=$T/ix git -C "$A" update-index --add --cacheinfo "100644,$(git -C "$A" hash-object -w "$T/late.xml"),records/00/00/00/04/record.xml"
GIT_INDEX_FILE=$T/ix git -C "$A" update-index --add --cacheinfo "100644,$(git -C "$A" hash-object -w "$T/late.xml.sig"),records/00/00/00/04/signoffs/$(sig_name alice).sig"
tree=$(GIT_INDEX_FILE=$T/ix git -C "$A" write-tree)
git -C "$A" update-ref refs/heads/main "$(commit_as alice "$tree" "$(git -C "$A" rev-parse main)" late)"
run_expect 1 "$CEREMONY" verify -e "$A"
grep -q "^record 4 (commit [0-9a-f]*): record-after-close: " "$T/out" || { cat "$T/out" >&2; fail "no record-after-close at record 4"; }
! grep -q ": record-chain: \|: signoff-invalid: \|: commit-signature-invalid: " "$T/out" || { cat "$T/out" >&2; fail "the crafted record should be otherwise valid"; }
pass "a record after close, chained and signed by insiders: record-after-close"

attack fifo
mkfifo "$A/refs/heads/stuck"
run_expect 2 timeout 20 "$CEREMONY" verify -e "$A"
err_one_line; err_has "refs/heads/stuck: not a regular file or directory"
run_expect 2 timeout 20 "$CEREMONY" log -e "$A"
err_one_line; err_has "refs/heads/stuck"
attack include
printf '[include]\n\tpath = /etc/passwd\n' >>"$A/config"
run_expect 2 timeout 20 "$CEREMONY" verify -e "$A"
err_one_line; err_has "config: an include section is refused"
attack alternates
echo /tmp >"$A/objects/info/alternates"
run_expect 2 timeout 20 "$CEREMONY" verify -e "$A"
err_one_line; err_has "alternates: refused"
pass "a FIFO, a config include or an alternates file in the repository is refused at once, not followed or waited on"

finish
