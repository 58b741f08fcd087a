#!/usr/bin/env bash
# The recorder end to end: a scenario made from the demo template, a whole ceremony signed through
# a real ssh-agent, every incident path and its restart, every refusal, and the attacks the
# second layer of verify sees (a skipped step, an inserted step, a sign-off by a role the step does
# not allow, a swapped scenario), checked with stock git, ssh-keygen and xmllint too.
. "$(dirname "$0")/lib.sh"
TEMPLATE=$CEREMONY_SOURCE_DIR/templates/demo.xml
E=$T/evidence

for p in alice bob carol dave erin; do keygen $p; done
{
	echo "alice lead $(cut -d' ' -f1,2 "$T/keys/alice.pub")"
	echo "bob keymaster $(cut -d' ' -f1,2 "$T/keys/bob.pub")"
	echo "carol keymaster $(cut -d' ' -f1,2 "$T/keys/carol.pub")"
	echo "dave witness $(cut -d' ' -f1,2 "$T/keys/dave.pub")"
	echo "erin witness $(cut -d' ' -f1,2 "$T/keys/erin.pub")"
} >"$T/roster"
run_expect 0 "$CEREMONY" scenario make -t "$TEMPLATE" -r "$T/roster" --id rec-test -o "$T/scenario.xml"
run_expect 0 "$CEREMONY" scenario check "$T/scenario.xml"
"$CEREMONY" scenario allowed-signers "$T/scenario.xml" >"$T/allowed_signers"
pass "a scenario made from the demo template checks clean"

# Keys through a real ssh-agent: bob's is passphrase-protected, as a key master's would be.
ssh-keygen -q -p -P '' -N 'bob passphrase' -f "$T/keys/bob" >/dev/null
eval "$(ssh-agent -s -a "$T/agent.sock")" >/dev/null
cleanup_hooks+=("kill $SSH_AGENT_PID")
printf '#!/bin/sh\necho "bob passphrase"\n' >"$T/askpass"
chmod +x "$T/askpass"
SSH_ASKPASS="$T/askpass" SSH_ASKPASS_REQUIRE=force DISPLAY=: setsid ssh-add "$T/keys/bob" </dev/null 2>/dev/null
for p in alice carol dave erin; do ssh-add -q "$T/keys/$p" 2>/dev/null; done
K() { echo "agent:$1"; }

run_expect 2 "$CEREMONY" begin -e "$E" -s "$T/scenario.xml" -k "$T/keys/bob"
err_one_line; err_has "encrypted with a passphrase"
[ ! -e "$E" ] || fail "a refused begin left the repository behind"
run_expect 0 "$CEREMONY" begin -e "$E" -s "$T/scenario.xml" -k "$(K alice)" -k "$(K dave)"
out_has "genesis record 0 committed"
[ "$(git -C "$E" show main:records/00/00/00/00/scenario.xml | sha256sum | cut -c1-64)" = "$(sha256sum <"$T/scenario.xml" | cut -c1-64)" ] ||
	fail "the scenario stored with the genesis record is not the published one"
pass "begin: genesis record with the scenario itself, signed through ssh-agent"

run_expect 0 "$CEREMONY" next -e "$E"
out_has "next: step 1 of 3, Check the room [room-check], done by a lead"
out_has "capture: --value bag-serial=..."
out_has "witness: dave erin"
pass "next says the step, its instructions, what to capture and who signs"

# A pending record waits for the witness, across processes.
run_expect 0 "$CEREMONY" record -e "$E" --step room-check --value bag-serial=TEB-000001 -k "$(K alice)"
out_has "is pending: signed by alice"
run_expect 0 "$CEREMONY" next -e "$E"
out_has "pending: record 1 (step room-check) signed by alice"
run_expect 3 "$CEREMONY" verify -e "$E"
[ "$(git -C "$E" rev-list --count main)" -eq 1 ] || fail "a half-signed record was committed"
run_expect 1 "$CEREMONY" record -e "$E" --step open-bag -k "$(K bob)"
err_one_line; err_has "is pending"
run_expect 1 "$CEREMONY" sign -e "$E" -k "$(K alice)"
err_one_line; err_has "alice signs twice"
# Someone with write access to the repository edits the pending record: nobody may sign it.
cp -a "$E/ceremony-pending" "$T/pending-backup"
sed -i 's/TEB-000001/TEB-666666/' "$E/ceremony-pending/record.xml"
run_expect 1 "$CEREMONY" sign -e "$E" -k "$(K erin)"
err_has "ceremony: warning: the pending record was altered and has been discarded"
err_has "no record is pending"
[ ! -e "$E/ceremony-pending" ] || fail "the altered pending record is still there"
cp -a "$T/pending-backup" "$E/ceremony-pending"
rm "$E/ceremony-pending/signoffs/"*
run_expect 0 "$CEREMONY" next -e "$E"
err_has "(it carries no sign-off): declare an incident"
out_has "next: step 1 of 3"
cp -a "$T/pending-backup" "$E/ceremony-pending"
run_expect 0 "$CEREMONY" sign -e "$E" -k "$(K erin)"
out_has "signing record 1: step room-check, session 1, actor alice"
out_has "bag-serial = TEB-000001"
out_has "record 1 committed"
pass "a pending record is never committed half-signed, an altered one is discarded, sign shows what is signed"

# Refusals that record nothing.
n=$(git -C "$E" rev-list --count main)
run_expect 2 "$CEREMONY" record -e "$E" --step open-bag --attach bag-photo="$T/scenario.xml" -k "$(K bob)" -k "$(K carol)" -k "$(K dave)"
err_one_line; err_has "cannot be undone: confirm it with --yes"
run_expect 2 "$CEREMONY" record -e "$E" --step open-bag --yes -k "$(K bob)" -k "$(K carol)" -k "$(K dave)"
err_one_line; err_has "needs --attach bag-photo=FILE"
run_expect 2 "$CEREMONY" record -e "$E" --step open-bag --yes --attach bag-photo="$T/missing" -k "$(K bob)" -k "$(K carol)" -k "$(K dave)"
err_one_line; err_has "$T/missing"
run_expect 2 "$CEREMONY" record -e "$E" --step open-bag --yes --attach bag-photo="$T/scenario.xml" --value x=1 -k "$(K bob)" -k "$(K carol)" -k "$(K dave)"
err_one_line; err_has "captures no value named x"
keygen mallory
run_expect 1 "$CEREMONY" record -e "$E" --step open-bag --yes --attach bag-photo="$T/scenario.xml" -k "$T/keys/mallory"
err_one_line; err_has "is not in the scenario's roster"
run_expect 2 "$CEREMONY" record -e "$E" --step open-bag --yes -k "$T/keys/missing"
err_one_line; err_has "$T/keys/missing: No such file or directory"
run_expect 2 "$CEREMONY" record -e "$E" --step open-bag --yes --attach bag-photo="$T/scenario.xml" -k "$(K dave)" -k "$(K erin)"
err_one_line; err_has "done by a keymaster"
[ "$(git -C "$E" rev-list --count main)" -eq "$n" ] || fail "a refusal recorded something"
pass "usage refusals (no --yes, missing attachment or value, unknown value, no actor) record nothing"

# The incident paths, each followed by its restart.
restart() {
	run_expect 0 "$CEREMONY" next -e "$E"
	out_has "invalidated by an incident"
	run_expect 1 "$CEREMONY" record -e "$E" --step room-check --value bag-serial=TEB-000009 -k "$(K alice)" -k "$(K dave)"
	err_has "only 'ceremony restart' is accepted"
	run_expect 1 "$CEREMONY" close -e "$E" -k "$(K alice)" -k "$(K dave)"
	err_has "restart it before closing"
	run_expect 0 "$CEREMONY" restart -e "$E" -k "$(K alice)" -k "$(K "$1")"
	out_has "(restart restart) committed"
	run_expect 0 "$CEREMONY" record -e "$E" --step room-check --value bag-serial=TEB-00000$2 -k "$(K alice)" -k "$(K dave)"
}
last_incident() { git -C "$E" show "main:records/00/00/00/$(printf %02d $(($(git -C "$E" rev-list --count main) - 1)))/record.xml"; }

run_expect 1 "$CEREMONY" record -e "$E" --step hardware-check --value hsm-serial=HSM-1 -k "$(K alice)" -k "$(K dave)"
err_one_line; err_has "out of order: incident recorded as record 2"
last_incident | grep -q '<incident kind="out-of-order">' || fail "no out-of-order incident record"
restart erin 2
pass "a step out of order is an incident; restart opens session 2 at step 1"

run_expect 1 "$CEREMONY" record -e "$E" --step open-bag --yes --attach bag-photo="$T/scenario.xml" -k "$(K bob)" -k "$(K carol)" -k "$(K alice)"
err_one_line; err_has "incident recorded"
last_incident | grep -q '<incident kind="signoff-not-allowed">' || fail "no signoff-not-allowed incident"
restart dave 3
pass "a sign-off from someone the step does not allow is an incident"

run_expect 0 "$CEREMONY" record -e "$E" --step open-bag --yes --attach bag-photo="$T/scenario.xml" -k "$(K bob)" -k "$(K carol)" -k "$(K dave)"
run_expect 0 "$CEREMONY" next -e "$E"
out_has "step 3 of 3"
run_expect 1 "$CEREMONY" record -e "$E" --step hardware-check --value hsm-serial=HSM-X -k "$(K alice)" -k "$(K dave)"
err_one_line; err_has 'value hsm-serial "HSM-X" does not match HSM-[0-9]{2,6}'
last_incident | grep -q '<incident kind="value-mismatch">' || fail "no value-mismatch incident"
restart erin 4
pass "a captured value that does not match its pattern is an incident"

run_expect 0 "$CEREMONY" incident -e "$E" --reason "the HSM seal looked tampered with" -k "$(K carol)"
out_has "incident recorded as record"
last_incident | grep -q '<happened>the HSM seal looked tampered with</happened>' || fail "declared incident text"
restart dave 5
pass "any participant can declare an incident"

# A signature that fails: dave's key needs a confirmation on each use, and his agent refuses it.
first_sock=$SSH_AUTH_SOCK
eval "$(SSH_ASKPASS=/bin/false SSH_ASKPASS_REQUIRE=force DISPLAY=: ssh-agent -s -a "$T/agent2.sock")" >/dev/null
cleanup_hooks+=("kill $SSH_AGENT_PID")
export SSH_AUTH_SOCK=$first_sock
A2=$T/agent2.sock
SSH_AUTH_SOCK=$A2 SSH_ASKPASS="$T/askpass" SSH_ASKPASS_REQUIRE=force DISPLAY=: setsid ssh-add -q "$T/keys/bob" </dev/null 2>/dev/null
SSH_AUTH_SOCK=$A2 ssh-add -q -c "$T/keys/dave" 2>/dev/null
SSH_AUTH_SOCK=$A2 run_expect 1 "$CEREMONY" record -e "$E" --step open-bag --yes --attach bag-photo="$T/scenario.xml" \
	-k agent:bob -k "$T/keys/carol" -k agent:dave
err_one_line; err_has "the signature of dave failed: incident recorded"
last_incident | grep -q '<incident kind="signature-failed">' || fail "no signature-failed incident"
restart erin 6
pass "a signature that fails (an agent refusing the key's use) is an incident"

run_expect 0 "$CEREMONY" record -e "$E" --step open-bag --yes --attach bag-photo="$T/scenario.xml" -k "$(K bob)" -k "$(K carol)" -k "$(K dave)"
run_expect 1 "$CEREMONY" close -e "$E" -k "$(K alice)" -k "$(K bob)" -k "$(K carol)" -k "$(K dave)"
err_one_line; err_has "step hardware-check is not recorded yet"
run_expect 0 "$CEREMONY" record -e "$E" --step hardware-check --value hsm-serial=HSM-42 -k "$(K alice)" -k "$(K erin)"
run_expect 0 "$CEREMONY" close -e "$E" -k "$(K alice)" -k "$(K bob)" -k "$(K carol)" -k "$(K dave)"
closing=$(sed -n 's/^closing hash: //p' "$T/out")
[ ${#closing} -eq 64 ] || fail "no closing hash"
run_expect 1 "$CEREMONY" record -e "$E" --step room-check -k "$(K alice)"
err_has "the ceremony is closed"
run_expect 1 "$CEREMONY" incident -e "$E" --reason late -k "$(K alice)"
err_has "the ceremony is closed"
pass "close after the last step; nothing after close"

run_expect 0 "$CEREMONY" verify -e "$E" -s "$T/scenario.xml" --closing-hash "$closing"
out_has "script: replayed against your copy of the scenario: conforming (6 sessions, 5 incidents)"
out_has "verdict: VERIFIED"
for c in $(git -C "$E" rev-list main); do
	git -C "$E" -c gpg.ssh.allowedSignersFile="$T/allowed_signers" verify-commit "$c" 2>/dev/null || fail "git verify-commit $c"
done
git -C "$E" fsck --strict --no-dangling || fail "git fsck --strict"
for r in $(git -C "$E" ls-tree --name-only -r main | grep 'record.xml$'); do
	git -C "$E" show "main:$r" >"$T/r.xml"
	xmllint --noout --nonet --schema "$CEREMONY_SOURCE_DIR/templates/record.xsd" "$T/r.xml" 2>/dev/null || fail "xmllint $r"
done
pass "the whole ceremony verifies (exit 0), and git verify-commit, git fsck --strict and xmllint agree"

# The second layer's attacks, made with valid signatures by roster keys through the low-level
# 'evidence append', which does not follow the script: only replay can see them.
attack() {
	A=$T/attack-$1
	rm -rf "$A"
	run_expect 0 "$CEREMONY" begin -e "$A" -s "$T/scenario.xml" -k "$T/keys/alice" -k "$T/keys/dave"
}
attack skipped
run_expect 0 "$CEREMONY" evidence append -e "$A" --step open-bag -k "$T/keys/carol" -k "$T/keys/dave"
run_expect 1 "$CEREMONY" verify -e "$A" -s "$T/scenario.xml"
out_has "record 1 (commit"; out_has "script-step-order: step open-bag recorded where the script expects room-check"
pass "a skipped step: script-step-order"

attack inserted
run_expect 0 "$CEREMONY" evidence append -e "$A" --step coffee-break -k "$T/keys/alice" -k "$T/keys/dave"
run_expect 1 "$CEREMONY" verify -e "$A" -s "$T/scenario.xml"
out_has "script-step-order: step coffee-break recorded where the script expects room-check (it is not in the scenario)"
pass "a step inserted: script-step-order"

attack role
run_expect 0 "$CEREMONY" evidence append -e "$A" --step room-check --value bag-serial=TEB-123456 -k "$T/keys/alice" -k agent:bob
run_expect 1 "$CEREMONY" verify -e "$A" -s "$T/scenario.xml"
out_has "script-signoff-not-allowed: bob signed, but holds none of the roles this step allows"
pass "a sign-off by a role the step does not allow: script-signoff-not-allowed"

attack values
run_expect 0 "$CEREMONY" evidence append -e "$A" --step room-check --value bag-serial=NOT-A-SERIAL -k "$T/keys/alice" -k "$T/keys/dave"
run_expect 1 "$CEREMONY" verify -e "$A"
out_has 'script-value: value bag-serial "NOT-A-SERIAL" does not match the pattern TEB-[0-9]{6}'
pass "a value that breaks its pattern, judged against the stored scenario: script-value"

attack early-close
run_expect 0 "$CEREMONY" evidence append -e "$A" --step close --type close -k "$T/keys/alice" -k agent:bob -k "$T/keys/carol" -k "$T/keys/dave"
run_expect 1 "$CEREMONY" verify -e "$A" -s "$T/scenario.xml"
out_has "script-close: close before the last step (next expected: room-check)"
pass "a close before the last step: script-close"

{ sed 's/Check the room/Check the room (edited after publication)/' "$T/scenario.xml"; } >"$T/swapped.xml"
run_expect 1 "$CEREMONY" verify -e "$E" -s "$T/swapped.xml"
out_has "scenario-mismatch"
pass "the scenario swapped after publication: scenario-mismatch"

# The recorder does not build on a history nobody signed: the last commit re-made without its
# signature (same tree, same parent) is refused before anyone signs on top of it.
G=$T/grafted
cp -a "$E" "$G"
c=$(git -C "$G" commit-tree "main^{tree}" -p main~1 -m unsigned)
git -C "$G" update-ref refs/heads/main "$c"
run_expect 1 "$CEREMONY" next -e "$G"
err_one_line; err_has "a commit with 1 parents and 0 signatures (run ceremony verify)"
pass "the recorder refuses a history with a commit no roster key signed"

finish
