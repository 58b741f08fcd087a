#!/usr/bin/env bash
# The interactive guided ceremony, driven through a pseudo-terminal like a person at the keyboard:
# instructions, value prompts (a typo caught), a file's digest as hex and PGP words, "Yes" before
# an irreversible step, each signer in turn, an incident declared at a prompt, restart, close.
. "$(dirname "$0")/lib.sh"
: "${PTY_DRIVE:?PTY_DRIVE must name the pty-drive tool}"
E=$T/evidence

for p in alice bob carol dave erin; do keygen $p; done
{
	echo "alice lead $(cut -d' ' -f1,2 "$T/keys/alice.pub")"
	echo "bob keymaster $(cut -d' ' -f1,2 "$T/keys/bob.pub")"
	echo "carol keymaster $(cut -d' ' -f1,2 "$T/keys/carol.pub")"
	echo "dave witness $(cut -d' ' -f1,2 "$T/keys/dave.pub")"
	echo "erin witness $(cut -d' ' -f1,2 "$T/keys/erin.pub")"
} >"$T/roster"
run_expect 0 "$CEREMONY" scenario make -t "$CEREMONY_SOURCE_DIR/templates/demo.xml" -r "$T/roster" --id run-test -o "$T/scenario.xml"
run_expect 0 "$CEREMONY" begin -e "$E" -s "$T/scenario.xml" -k "$T/keys/alice" -k "$T/keys/dave"
printf 'photo' >"$T/photo"
photo_sha=$(sha256sum <"$T/photo" | cut -c1-64)

run_expect 2 "$CEREMONY" run -e "$E" </dev/null
err_one_line; err_has "run needs a terminal"
pass "run refuses without a terminal"

K=$T/keys
cat >"$T/script" <<SCRIPT
expect -- Step 1 of 3: Check the room [room-check], done by a lead
expect | Confirm the room is closed
expect sign-off: 1 lead + 1 witness (distinct people)
expect Value bag-serial
send TEB-12
expect "TEB-12" does not match TEB-[0-9]{6}; type it again.
expect Value bag-serial
send TEB-123456
expect Signer 1: key
send $K/alice
expect is pending: signed by alice
expect Signer 2: key
send $K/dave
expect record 1 committed
expect -- Step 2 of 3: Open the bag [open-bag]
expect File for bag-photo
send $T/photo
expect bag-photo: 5 bytes
expect sha256: $photo_sha
expect This step cannot be undone. Type Yes when everyone agrees:
send yes
expect Type Yes (exactly)
expect This step cannot be undone. Type Yes when everyone agrees:
send !incident
expect Declaring an incident.
expect What happened?
send the bag was already open
expect Signer 1: key
send $K/erin
expect incident recorded as record 2 (declared)
expect Session 1 was invalidated by an incident.
expect Restart from step 1 in a new session? Type Yes:
send Yes
expect Signer 1: key
send $K/alice
expect Signer 2: key
send $K/erin
expect record 3 committed
expect -- Step 1 of 3
expect Value bag-serial
send TEB-654321
expect Signer 1: key
send $K/alice
expect Signer 2: key
send $K/dave
expect record 4 committed
expect File for bag-photo
send $T/photo
expect Type Yes when everyone agrees:
send Yes
expect Signer 1: key
send $K/bob
expect Signer 2: key
send $K/carol
expect Signer 3: key
send $K/dave
expect record 5 committed
expect Value hsm-serial
send HSM-42
expect Signer 1: key
send $K/alice
expect Signer 2: key
send $K/erin
expect record 6 committed
expect Every step is recorded.
expect Close the ceremony? Type Yes:
send Yes
expect Signer 1: key
send $K/alice
expect Signer 2: key
send $K/bob
expect Signer 3: key
send $K/carol
expect Signer 4: key
send $K/erin
expect record 7 committed
expect closing hash:
expect The ceremony is closed.
expect Bye.
exit 0
SCRIPT
"$PTY_DRIVE" "$T/script" "$CEREMONY" run -e "$E" >"$T/transcript" 2>&1 || { cat "$T/transcript" >&2; fail "the guided ceremony"; }
pass "a whole guided ceremony on a terminal: typo caught, digest shown, Yes asked, incident, restart, close"

run_expect 0 "$CEREMONY" verify -e "$E" -s "$T/scenario.xml"
out_has "conforming (2 sessions, 1 incident)"
out_has "verdict: VERIFIED"
git -C "$E" show main:records/00/00/00/05/record.xml | grep -q "<attachment name=\"bag-photo\" sha256=\"$photo_sha\" size=\"5\" stored=\"false\"/>" ||
	fail "the attachment's digest is not in the record"
pass "what the guided run recorded verifies against the scenario"

cat >"$T/quit" <<SCRIPT
expect The ceremony is closed.
expect Bye.
exit 0
SCRIPT
"$PTY_DRIVE" "$T/quit" "$CEREMONY" run -e "$E" >"$T/transcript" 2>&1 || { cat "$T/transcript" >&2; fail "run on a closed ceremony"; }
pass "run on a closed ceremony says so and ends"

finish
