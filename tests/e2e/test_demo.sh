#!/usr/bin/env bash
# The README's main job: `ceremony demo DIR` runs a whole key ceremony with the vault and verifies
# it. Its results must check out with stock tools: git, openssl, jq; and no secret may show.
. "$(dirname "$0")/lib.sh"
D=$T/demo

run_expect 0 "$CEREMONY" demo "$D"
[ "$(grep -c "verdict: VERIFIED (closed; the closing hash is the last record hash)" "$T/out")" -eq 2 ] ||
	fail "the demo does not verify both of its ceremonies"
out_has "conforming (1 session, 0 incidents)"
out_has "vault operations the records report are in it as reported"
out_has "script: replayed against your copy of the scenario: conforming (2 sessions, 1 incident)"
out_has "vault log: "
out_has "chain and signatures verified"
cp "$T/out" "$T/demo.out"
vault_id=$(jq -r .vault "$D/vault/vault.json")
git -C "$D/vault-init-evidence" log -p main >"$T/init-history"
grep -q "op=\"init\" .*vault-id=\"$vault_id\"" "$T/init-history" || fail "the init record does not name the vault made"
git -C "$D/evidence" show main:records/00/00/00/00/record.xml | grep -qF "<vault id=\"$vault_id\"" ||
	fail "the key ceremony is not pinned to the vault the init ceremony made"
pass "the demo makes the vault in a recorded ceremony, then runs a key ceremony with it, and verifies both"

"$CEREMONY" scenario allowed-signers "$D/scenario.xml" >"$T/allowed_signers"
git -C "$D/evidence" -c gpg.ssh.allowedSignersFile="$T/allowed_signers" verify-commit main 2>/dev/null ||
	fail "git verify-commit refuses the demo's last commit"
git -C "$D/evidence" fsck --strict 2>/dev/null || fail "git fsck --strict refuses the demo's repository"
fp=$(openssl pkey -pubin -in "$D/firmware-signing.pub.pem" -outform DER | sha256sum | cut -d' ' -f1)
git -C "$D/evidence" log -p main >"$T/history"
grep -q "op=\"export\" .*fingerprint=\"$fp\"" "$T/history" ||
	fail "the recorded fingerprint is not openssl's"
openssl dgst -sha384 -verify "$D/firmware-signing.pub.pem" -signature "$D/firmware.bin.sig" "$D/firmware.bin" \
	>/dev/null || fail "openssl does not verify the demo's firmware signature"
jq -se 'map(.op) | index("destroy") != null and index("sign") != null' "$D/vault/vault.log" >/dev/null ||
	fail "the vault log lacks the destroy or the sign"
[ ! -e "$D/vault/vault.sock" ] || fail "the demo left its vault process's socket"
pass "git verify-commit, git fsck, openssl (fingerprint, signature) and jq accept what the demo made"

git -C "$D/evidence" cat-file --batch-all-objects --batch >"$T/objects.dump"
git -C "$D/vault-init-evidence" cat-file --batch-all-objects --batch >>"$T/objects.dump"
run_expect 0 "${SECRET_CANARY:?}" "$D/vault" "$D/shares/carol.share" "$D/passphrases/carol.pass" \
	"$D/shares/frank.share" "$D/passphrases/frank.pass" -- "$T/objects.dump" "$D/vault/vault.log" \
	"$D/vault-process.log" "$T/demo.out" "$D/firmware-signing.pub.pem" "$D/firmware.bin.sig"
out_has "none found"
pass "no secret of the demo's vault in its evidence, its vault log or its output"

# A verification shows its progress on a terminal; piped, stderr stays clean.
printf 'expect verify: 13 of 13 records checked\nexpect verdict: VERIFIED\nexit 0\n' >"$T/progress-script"
"${PTY_DRIVE:?}" "$T/progress-script" "${CEREMONY_VERIFY_BIN:?}" -e "$D/evidence" -s "$D/scenario.xml" \
	>"$T/progress-transcript" 2>&1 || { cat "$T/progress-transcript" >&2; fail "no progress on a terminal"; }
run_expect 0 "$CEREMONY_VERIFY_BIN" -e "$D/evidence" -s "$D/scenario.xml"
[ ! -s "$T/err" ] || fail "verify wrote to a piped stderr: $(cat "$T/err")"
pass "verify shows its progress on a terminal, and nothing on a piped stderr"

# The compliance report: XML valid against templates/report.xsd, saying what the evidence says.
closing=$(git -C "$D/evidence" show main:$(git -C "$D/evidence" ls-tree -r --name-only main | grep 'record.xml$' | sort | tail -1) | sha256sum | cut -d' ' -f1)
run_expect 0 "$CEREMONY" report -e "$D/evidence" -s "$D/scenario.xml" --closing-hash "$closing" \
	--vault-log "$D/vault/vault.log" --format xml -o "$T/report.xml"
err_has "report: $T/report.xml (VERIFIED)"
xmllint --noout --nonet --schema "$CEREMONY_SOURCE_DIR/templates/report.xsd" "$T/report.xml" 2>/dev/null ||
	fail "the report is not valid against templates/report.xsd"
xq() { xmllint --xpath "$1" "$T/report.xml" 2>/dev/null; }
[ "$(xq 'string(//*[local-name()="verdict"]/@result)')" = VERIFIED ] || fail "report: verdict"
[ "$(xq 'string(//*[local-name()="ceremony"]/@id)')" = demo-key-ceremony ] || fail "report: ceremony id"
[ "$(xq 'string(//*[local-name()="last-record-hash"]/@hex)')" = "$closing" ] || fail "report: last record hash"
[ "$(xq 'count(//*[local-name()="record"])')" = 13 ] || fail "report: records"
[ "$(xq 'count(//*[local-name()="incident"])')" = 1 ] || fail "report: the incident"
alice_fp=$(ssh-keygen -lf "$D/keys/alice.pub" | cut -d' ' -f2)
[ "$(xq 'string(//*[local-name()="participant"][@id="alice"]/*[local-name()="key"]/@fingerprint)')" = "$alice_fp" ] ||
	fail "report: alice's key fingerprint is not ssh-keygen's"
[ "$(xq 'string(//*[local-name()="vault-operation"][@op="export"]/@fingerprint)')" = "$fp" ] ||
	fail "report: the exported key's fingerprint"
[ "$(xq 'string(//*[local-name()="vault-log"]/@operations-joined)')" = "$(xq 'string(//*[local-name()="vault-log"]/@operations-claimed)')" ] ||
	fail "report: the vault log join"
[ -n "$(xq 'string(//*[local-name()="verifier"]/@build)')" ] || fail "report: the verifier's build"
head -n 5 "$D/vault/vault.log" >"$T/short.log"
run_expect 1 "$CEREMONY" report -e "$D/evidence" -s "$D/scenario.xml" --vault-log "$T/short.log" --format xml \
	-o "$T/bad-report.xml"
xmllint --noout --nonet --schema "$CEREMONY_SOURCE_DIR/templates/report.xsd" "$T/bad-report.xml" 2>/dev/null ||
	fail "a NOT-VERIFIED report is not valid"
grep -q 'result="NOT-VERIFIED"' "$T/bad-report.xml" || fail "the report hides the findings"
grep -q 'code="vault-op-missing"' "$T/bad-report.xml" || fail "the report lacks the finding"
run_expect 2 "$CEREMONY" report -e "$T/nowhere" --format xml -o "$T/none.xml"
err_one_line
[ ! -e "$T/none.xml" ] && [ -z "$(ls "$T" | grep 'none.xml.tmp')" ] || fail "a failed report left a file"
run_expect 2 "$CEREMONY" report -e "$D/evidence" --format pdf
err_one_line; err_has "--format pdf"
pass "report --format xml: valid against templates/report.xsd, and it says what the evidence and the log say"

# The HTML report: one self-contained page, rendered by headless Chromium in a network namespace of
# its own (no traffic leaves the machine; the page needs none).
render() { # render FILE: the DOM Chromium renders, on stdout
	timeout 120 unshare -n chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
		--disable-component-update --no-first-run --user-data-dir="$T/chromium" --dump-dom "file://$1" 2>/dev/null
}
run_expect 0 "$CEREMONY" report -e "$D/evidence" -s "$D/scenario.xml" --closing-hash "$closing" \
	--vault-log "$D/vault/vault.log" --format html -o "$T/report.html"
grep -qE '<(script|link|img|iframe)' "$T/report.html" && fail "the HTML report is not self-contained"
render "$T/report.html" >"$T/dom.html"
grep -q 'id="verdict">Verdict: VERIFIED<' "$T/dom.html" || fail "the rendered page does not show the verdict"
[ "$(grep -c '<tr class="' "$T/dom.html")" -eq 13 ] || fail "the rendered timeline does not show the 13 records"
grep -q '<tr class="incident">' "$T/dom.html" || fail "the incident does not stand out"
grep -q "$closing" "$T/dom.html" || fail "the page does not show the closing hash"
grep -q 'Incident (declared)' "$T/dom.html" || fail "the page does not say what the incident was"
run_expect 1 "$CEREMONY" report -e "$D/evidence" -s "$D/scenario.xml" --vault-log "$T/short.log" --format html \
	-o "$T/bad-report.html"
render "$T/bad-report.html" >"$T/bad-dom.html"
grep -q 'class="verdict NOT-VERIFIED"' "$T/bad-dom.html" || fail "a failing verification does not stand out"
grep -A1 '<div class="finding">' "$T/bad-dom.html" | grep -q '<strong>vault-op-missing</strong>' || fail "the finding does not stand out"
pass "report --format html: a self-contained page Chromium renders, verdict, timeline, incident and findings shown"

# The OSCAL report: assessment results valid against the OSCAL 1.0.4 schema.
OSCAL_XSD=${CEREMONY_SHARED_DIR:?}/data/oscal-1.0.4-assessment-results.xsd
run_expect 0 "$CEREMONY" report -e "$D/evidence" -s "$D/scenario.xml" --closing-hash "$closing" \
	--vault-log "$D/vault/vault.log" --format oscal -o "$T/report.oscal.xml"
xmllint --noout --nonet --schema "$OSCAL_XSD" "$T/report.oscal.xml" 2>/dev/null ||
	fail "the OSCAL report is not valid against the OSCAL 1.0.4 assessment-results schema"
grep -q '<status state="satisfied"/>' "$T/report.oscal.xml" || fail "OSCAL: the verdict is not satisfied"
[ "$(grep -c '<observation ' "$T/report.oscal.xml")" -eq 13 ] || fail "OSCAL: one observation per record"
[ -z "$(grep -o 'uuid="[^"]*"' "$T/report.oscal.xml" | sort | uniq -d)" ] || fail "OSCAL: a uuid twice"
run_expect 1 "$CEREMONY" report -e "$D/evidence" -s "$D/scenario.xml" --vault-log "$T/short.log" --format oscal \
	-o "$T/bad-report.oscal.xml"
xmllint --noout --nonet --schema "$OSCAL_XSD" "$T/bad-report.oscal.xml" 2>/dev/null || fail "a failing OSCAL report is not valid"
grep -q 'value="vault-op-missing"' "$T/bad-report.oscal.xml" || fail "OSCAL: the finding is missing"
[ -z "$(grep -o 'uuid="[^"]*"' "$T/bad-report.oscal.xml" | sort | uniq -d)" ] || fail "OSCAL: a uuid twice"
git init -q --bare "$T/empty-repo"
for f in xml oscal; do
	run_expect 1 "$CEREMONY" report -e "$T/empty-repo" --format $f -o "$T/empty.$f"
done
xmllint --noout --nonet --schema "$CEREMONY_SOURCE_DIR/templates/report.xsd" "$T/empty.xml" 2>/dev/null ||
	fail "the report of an empty repository is not valid"
xmllint --noout --nonet --schema "$OSCAL_XSD" "$T/empty.oscal" 2>/dev/null || fail "the OSCAL report of an empty repository is not valid"
pass "report --format oscal: assessment results valid against the OSCAL 1.0.4 schema, findings included, even of no evidence"

run_expect 1 "$CEREMONY" demo "$D"
err_one_line; err_has "already holds a demo"
pass "the demo refuses a directory that holds one"
finish
