#!/usr/bin/env bash
# Signing through a real ssh-agent: how passphrase-protected keys and tokens are used.
. "$(dirname "$0")/lib.sh"
E=$T/evidence

keygen alice; keygen bob
ssh-keygen -q -t ed25519 -N 'correct horse' -C carol-token -f "$T/keys/carol" </dev/null
roster alice alice bob bob carol carol
echo scenario >"$T/scenario"

run_expect 2 "$CEREMONY" evidence init -e "$E" --ceremony agent-test --roster "$T/roster" -s "$T/scenario" -k "$T/keys/carol"
err_one_line; err_has "encrypted with a passphrase"; err_has "ssh-agent"; err_has "$T/keys/carol"
[ ! -e "$E" ] || fail "a refused init left $E behind"
pass "an encrypted key file is refused, pointing to ssh-agent, and nothing is written"

eval "$(ssh-agent -s -a "$T/agent.sock")" >/dev/null
cleanup_hooks+=("kill $SSH_AGENT_PID")
printf '#!/bin/sh\necho "correct horse"\n' >"$T/askpass"
chmod +x "$T/askpass"
SSH_ASKPASS="$T/askpass" SSH_ASKPASS_REQUIRE=force DISPLAY=: setsid ssh-add "$T/keys/carol" </dev/null 2>/dev/null
ssh-add "$T/keys/bob" 2>/dev/null
fp_bob=$(ssh-keygen -lf "$T/keys/bob.pub" | cut -d' ' -f2)

run_expect 0 "$CEREMONY" evidence init -e "$E" --ceremony agent-test --roster "$T/roster" -s "$T/scenario" \
	-k agent:carol-token -k "agent:$fp_bob"
pass "genesis signed through ssh-agent, by comment and by SHA256 fingerprint"

run_expect 0 "$CEREMONY" evidence append -e "$E" --step s1 -k agent:carol-token -k "$T/keys/alice"
run_expect 3 "$CEREMONY" verify -e "$E"
allowed_signers "$E"
git -C "$E" -c gpg.ssh.allowedSignersFile="$T/allowed_signers" verify-commit main 2>"$T/vc" || fail "verify-commit"
grep -q 'Good "git" signature for carol' "$T/vc" || fail "commit not signed by carol through the agent"
git -C "$E" show main:records/00/00/00/01/record.xml >"$T/r"
for sig in $(git -C "$E" ls-tree --name-only main:records/00/00/00/01/signoffs); do
	git -C "$E" show "main:records/00/00/00/01/signoffs/$sig" >"$T/sig"
	who=$(ssh-keygen -Y find-principals -s "$T/sig" -f "$T/allowed_signers")
	ssh-keygen -Y verify -f "$T/allowed_signers" -I "$who" -n ceremony-record@ceremony -s "$T/sig" <"$T/r" >/dev/null ||
		fail "ssh-keygen -Y verify of $who's agent sign-off"
done
pass "agent signatures verify with stock git and ssh-keygen"

run_expect 2 "$CEREMONY" evidence append -e "$E" --step s2 -k agent:nobody
err_one_line; err_has 'no Ed25519 key with comment or fingerprint "nobody"'
run_expect 2 "$CEREMONY" evidence append -e "$E" --step s2 -k agent:
err_one_line; err_has "agent: needs a key comment"
(unset SSH_AUTH_SOCK; run_expect 2 "$CEREMONY" evidence append -e "$E" --step s2 -k agent:carol-token)
err_one_line; err_has "SSH_AUTH_SOCK is not set"
pass "agent refusals: unknown key, empty selector, no agent"

ssh-add -D 2>/dev/null
run_expect 2 "$CEREMONY" evidence append -e "$E" --step s2 -k agent:carol-token
err_one_line; err_has "no Ed25519 key"
run_expect 3 "$CEREMONY" verify -e "$E"
pass "a key removed from the agent is refused, nothing appended"

finish
