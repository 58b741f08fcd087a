#!/usr/bin/env bash
# Scenarios and templates: every template and a made scenario against templates/scenario.xsd with
# stock xmllint; scenario check, show, allowed-signers (checked by stock ssh-keygen) and make; and
# hostile XML, each refused with exit 2 and one line naming the file, the line and the reason.
. "$(dirname "$0")/lib.sh"
SRC=${CEREMONY_SOURCE_DIR:?CEREMONY_SOURCE_DIR must name the source tree}
TPL=$SRC/templates
XSD=$TPL/scenario.xsd
RECORD_NS=ceremony-record@ceremony

schema_ok() {
	xmllint --noout --nonet --schema "$XSD" "$1" 2>"$T/xmllint" || { cat "$T/xmllint" >&2; fail "xmllint --schema scenario.xsd refuses $1"; }
}
schema_refuses() {
	if xmllint --noout --nonet --schema "$XSD" "$1" 2>"$T/xmllint"; then fail "xmllint --schema scenario.xsd accepts $1"; fi
}
# roster_add FILE PARTICIPANT ROLES KEYNAME: one roster line for `scenario make`.
roster_add() {
	echo "$2 $3 $(cut -d' ' -f1,2 "$T/keys/$4.pub")" >>"$1"
}
# line_of PATTERN FILE: the number of the first line holding PATTERN (fixed string).
line_of() {
	local n
	n=$(grep -nF -- "$1" "$2" | head -n1 | cut -d: -f1)
	[ -n "$n" ] || fail "no line holds \"$1\" in $2"
	echo "$n"
}
# only_problem TEXT: the one problem line `scenario check` printed is TEXT.
only_problem() {
	out_has "$1"
	out_has ", 1 problem"
	[ "$(grep -c '^step \|^restart: \|^close: ' "$T/out")" -eq 1 ] || { cat "$T/out" >&2; fail "more than one problem line"; }
}

for p in alice bob carol dave dave2 erin mallory; do keygen $p; done

# ---- the schema accepts every template ----
n=0
for t in "$TPL"/*.xml; do
	schema_ok "$t"
	n=$((n + 1))
done
for t in demo vault-init firmware-keygen firmware-release manufacturing-provisioning; do
	[ -f "$TPL/$t.xml" ] || fail "template $t.xml is missing"
done
[ "$n" -ge 5 ] || fail "only $n templates"
pass "xmllint --schema scenario.xsd accepts all $n templates"

# ---- scenario make (demo), then schema and check ----
R=$T/demo.roster
{
	echo "# the demo roster: a comment and a blank line are skipped"
	echo
} >"$R"
roster_add "$R" alice lead alice
roster_add "$R" bob keymaster bob
roster_add "$R" carol keymaster,witness carol
roster_add "$R" dave witness dave
roster_add "$R" dave witness dave2
S=$T/demo-scenario.xml
run_expect 0 "$CEREMONY" scenario make -t "$TPL/demo.xml" -r "$R" --id demo-2025 -o "$S"
out_has "wrote scenario $S (id demo-2025)"
schema_ok "$S"
grep -q '<id>demo-2025</id>' "$S" || fail "the made scenario does not carry its id"
[ "$(grep -o '<participant ' "$S" | wc -l)" -eq 4 ] || fail "the made scenario does not hold 4 participants"
[ "$(grep -o '<key>' "$S" | wc -l)" -eq 5 ] || fail "the made scenario does not hold 5 keys"
pass "scenario make writes a scenario (4 participants, 5 keys) that xmllint --schema accepts"

run_expect 0 "$CEREMONY" scenario check "$S"
out_has "scenario demo-2025, 3 steps, 0 problems"
out_has "sha256: $(sha256sum "$S" | cut -c1-64)"
pass "scenario check: the demo scenario is usable (exit 0) and its sha256 is sha256sum's"

# A template: its own rules, no roster to check against.
run_expect 0 "$CEREMONY" scenario check "$TPL/demo.xml"
out_has "template demo, 3 steps, 0 problems"
pass "scenario check accepts the demo template (exit 0)"

# ---- scenario check: problems, exit 1, one line each ----
# A rule one person could meet alone: drop the witness from hardware-check's rule (a template).
awk '/<step id="hardware-check"/ { s = 1 } s && /<require role="witness"/ { s = 0; next } { print }' "$TPL/demo.xml" >"$T/alone.xml"
line=$(line_of '<step id="hardware-check"' "$T/alone.xml")
run_expect 1 "$CEREMONY" scenario check "$T/alone.xml"
only_problem "step hardware-check (line $line): the sign-off rule can be met by one person alone"
pass "scenario check: a rule one person could meet alone (exit 1, the step and its line)"

# A rule the roster cannot meet: close needs 3 key masters, the roster has 2.
perl -0pe 's|(<close>.*?<require role="keymaster" count=")2"|${1}3"|s' "$S" >"$T/unmeetable.xml"
grep -q 'count="3"' "$T/unmeetable.xml" || fail "test set-up: close rule not changed"
run_expect 1 "$CEREMONY" scenario check "$T/unmeetable.xml"
only_problem "close: the sign-off rule (1 lead + 3 keymaster + 1 witness, distinct people) cannot be met by the roster"
pass "scenario check: a rule the roster cannot meet (exit 1)"

# An acting role nobody holds: a new role "auditor" acts hardware-check.
perl -0pe 's|</roles>|  <role id="auditor">Auditor.</role>\n  </roles>|; s|<step id="hardware-check" role="lead"|<step id="hardware-check" role="auditor"|' \
	"$S" >"$T/nobody.xml"
line=$(line_of '<step id="hardware-check"' "$T/nobody.xml")
run_expect 1 "$CEREMONY" scenario check "$T/nobody.xml"
only_problem "step hardware-check (line $line): nobody in the roster holds the acting role auditor"
pass "scenario check: an acting role nobody holds (exit 1)"

# ---- the real templates ----
# Templates have no roster; their vault steps name their keys and quorum: they check clean.
for t in vault-init firmware-keygen firmware-release manufacturing-provisioning; do
	run_expect 0 "$CEREMONY" scenario check "$TPL/$t.xml"
	out_has "template $t, "
	out_has "0 problems"
done
pass "scenario check: the real templates check clean"

# Each real template can be staffed: scenario make succeeds with a roster of distinct people and the
# result checks clean.
R=$T/vault.roster
: >"$R"
for p in lead operator km1 km2 km3 km4 km5 rel wit1 wit2; do keygen "$p"; done
roster_add "$R" lead lead lead
roster_add "$R" oscar operator operator
for i in 1 2 3 4 5; do roster_add "$R" km$i keymaster km$i; done
roster_add "$R" wendy witness wit1
roster_add "$R" walter witness wit2
cp "$R" "$T/release.roster"
roster_add "$T/release.roster" rita release rel
for t in vault-init firmware-keygen firmware-release; do
	cp "$TPL/$t.xml" "$T/$t-manual.xml"
	r=$R
	[ "$t" = firmware-release ] && r=$T/release.roster
	run_expect 0 "$CEREMONY" scenario make -t "$T/$t-manual.xml" -r "$r" --id "$t-test" -o "$T/$t-scenario.xml"
	run_expect 0 "$CEREMONY" scenario check "$T/$t-scenario.xml"
	out_has "scenario $t-test, "
	out_has ", 0 problems"
	schema_ok "$T/$t-scenario.xml"
done
R=$T/factory.roster
: >"$R"
for p in cust cour fac1 fac2; do keygen "$p"; done
roster_add "$R" lead lead lead
roster_add "$R" carl custodian cust
roster_add "$R" cora courier cour
roster_add "$R" fay factory fac1
roster_add "$R" fred factory fac2
roster_add "$R" wendy witness wit1
roster_add "$R" walter witness wit2
run_expect 0 "$CEREMONY" scenario make -t "$TPL/manufacturing-provisioning.xml" -r "$R" --id transport-1 -o "$T/transport.xml"
run_expect 0 "$CEREMONY" scenario check "$T/transport.xml"
out_has "scenario transport-1, 8 steps, 0 problems"
schema_ok "$T/transport.xml"
# One witness fewer, and the rules that need two witnesses cannot be met: the rules are real.
grep -v '^walter ' "$R" >"$T/factory-short.roster"
run_expect 1 "$CEREMONY" scenario make -t "$TPL/manufacturing-provisioning.xml" -r "$T/factory-short.roster" --id transport-2 \
	-o "$T/transport-2.xml"
err_one_line
err_has "the scenario made does not check: step attendance (line"
err_has "cannot be met by the roster"
[ ! -e "$T/transport-2.xml" ] || fail "a scenario that does not check was written"
pass "every real template can be staffed by a roster of distinct people, and one witness short cannot"

# A witness signs every step of every real template.
for t in vault-init firmware-keygen firmware-release manufacturing-provisioning; do
	steps=$(xmllint --xpath "count(//*[local-name()='step'])" "$TPL/$t.xml")
	witnessed=$(xmllint --xpath "count(//*[local-name()='step'][*[local-name()='signoff']/*[local-name()='require'][@role='witness']])" "$TPL/$t.xml")
	[ "$steps" -gt 0 ] && [ "$steps" = "$witnessed" ] || fail "$t: $witnessed of $steps steps are witnessed"
done
pass "a witness signs every step of every real template"

# Every step of a vault template's irreversible operations asks for an explicit Yes.
for step in '<step id="init" role="operator" kind="vault-init" confirm="true">' \
	'<step id="open-hardware-bag" role="operator" confirm="true">'; do
	grep -qF "$step" "$TPL/vault-init.xml" || fail "vault-init lacks: $step"
done
grep -qF 'kind="vault-sign" confirm="true"' "$TPL/firmware-release.xml" || fail "signing is not confirmed"
grep -qF '<attach name="firmware-image">' "$TPL/firmware-release.xml" || fail "the firmware image is not attached, unstored"
grep -qF 'kind="vault-export"' "$TPL/firmware-keygen.xml" && grep -qF '<capture name="public-key-sha256" pattern="[0-9a-f]{64}">' "$TPL/firmware-keygen.xml" ||
	fail "the key generation does not capture the public key's fingerprint"
grep -qF '<step id="courier-handover" role="courier" confirm="true">' "$TPL/manufacturing-provisioning.xml" || fail "handover not confirmed"
pass "irreversible steps ask for an explicit Yes; the image is hashed, not stored; the fingerprint is captured"

# ---- scenario show ----
run_expect 0 "$CEREMONY" scenario show "$S"
hex=$(sha256sum "$S" | cut -c1-64)
out_has "scenario sha256: $hex"
words=$(grep -A1 "^scenario sha256: $hex" "$T/out" | tail -n1)
[ "$(echo "$words" | wc -w)" -eq 32 ] || fail "the scenario hash is not followed by 32 PGP words: $words"
for id in room-check open-bag hardware-check; do out_has "[$id]"; done
out_has "STEP 3  Check the hardware  [hardware-check]"
out_has "alice (lead)"
out_has "dave (witness)"
[ "$(grep -c '^    key SHA256:' "$T/out")" -eq 5 ] || fail "show does not list the 5 key fingerprints"
out_has "    key $(ssh-keygen -l -f "$T/keys/dave2.pub" | cut -d' ' -f2)"
out_has "IRREVERSIBLE"
pass "scenario show prints the hash as hex and 32 PGP words, the roster with fingerprints, and every step"

for t in vault-init firmware-keygen firmware-release manufacturing-provisioning; do
	run_expect 0 "$CEREMONY" scenario show "$TPL/$t.xml"
	for id in $(sed -n 's/.*<step id="\([^"]*\)".*/\1/p' "$TPL/$t.xml"); do out_has "[$id]"; done
	out_has "scenario sha256: $(sha256sum "$TPL/$t.xml" | cut -c1-64)"
done
pass "scenario show prints every step of every real template"

# ---- scenario allowed-signers, checked by stock ssh-keygen ----
run_expect 0 "$CEREMONY" scenario allowed-signers "$S"
cp "$T/out" "$T/allowed"
[ "$(wc -l <"$T/allowed")" -eq 5 ] || fail "allowed_signers does not have one line per key"
echo "the record people sign" >"$T/msg"
for who in bob:bob dave:dave2; do
	person=${who%%:*} key=${who##*:}
	rm -f "$T/msg.sig"
	ssh-keygen -q -Y sign -f "$T/keys/$key" -n "$RECORD_NS" "$T/msg" </dev/null 2>/dev/null || fail "ssh-keygen -Y sign"
	ssh-keygen -Y verify -f "$T/allowed" -I "$person" -n "$RECORD_NS" -s "$T/msg.sig" <"$T/msg" >"$T/verify" 2>&1 ||
		{ cat "$T/verify" >&2; fail "ssh-keygen -Y verify refuses $person's signature"; }
	grep -q "Good \"$RECORD_NS\" signature for $person" "$T/verify" || fail "ssh-keygen did not say Good for $person"
	# The namespaces are pinned: the same signature checked under another namespace fails.
	if ssh-keygen -Y verify -f "$T/allowed" -I "$person" -n file -s "$T/msg.sig" <"$T/msg" >/dev/null 2>&1; then
		fail "a signature verified in a namespace the allowed_signers file does not allow"
	fi
done
rm -f "$T/msg.sig"
ssh-keygen -q -Y sign -f "$T/keys/mallory" -n "$RECORD_NS" "$T/msg" </dev/null 2>/dev/null
if ssh-keygen -Y verify -f "$T/allowed" -I bob -n "$RECORD_NS" -s "$T/msg.sig" <"$T/msg" >/dev/null 2>&1; then
	fail "a key outside the roster verified as bob"
fi
run_expect 2 "$CEREMONY" scenario allowed-signers "$TPL/demo.xml"
err_one_line
err_has "this is a template"
pass "scenario allowed-signers: stock ssh-keygen -Y verify accepts roster signatures (second key too), not others"

# ---- scenario make refuses ----
sum=$(sha256sum "$S")
run_expect 2 "$CEREMONY" scenario make -t "$TPL/demo.xml" -r "$T/demo.roster" --id demo-2025 -o "$S"
err_one_line
err_has "$S: cannot create (exists?)"
[ "$(sha256sum "$S")" = "$sum" ] || fail "an existing scenario was changed"
pass "scenario make never overwrites an existing file (exit 2, file unchanged)"

cp "$T/demo.roster" "$T/bad.roster"
echo "eve witness ssh-ed25519 AAAAnot-base64" >>"$T/bad.roster"
bad_line=$(wc -l <"$T/bad.roster")
run_expect 2 "$CEREMONY" scenario make -t "$TPL/demo.xml" -r "$T/bad.roster" --id demo-x -o "$T/x.xml"
err_one_line
err_has "roster line $bad_line:"
err_has "key is not valid base64"
[ ! -e "$T/x.xml" ] || fail "a scenario was written from a bad roster"
printf 'Eve witness %s\n' "$(cut -d' ' -f1,2 "$T/keys/erin.pub")" >"$T/bad2.roster"
run_expect 2 "$CEREMONY" scenario make -t "$TPL/demo.xml" -r "$T/bad2.roster" --id demo-x -o "$T/x.xml"
err_one_line
err_has 'roster line 1: "Eve" is not a participant id'
printf 'eve\n' >"$T/bad3.roster"
run_expect 2 "$CEREMONY" scenario make -t "$TPL/demo.xml" -r "$T/bad3.roster" --id demo-x -o "$T/x.xml"
err_one_line
err_has "roster line 1: expected PARTICIPANT ROLES KEY"
pass "scenario make refuses a bad roster line, naming the line (exit 2, nothing written)"

run_expect 2 "$CEREMONY" scenario make -t "$S" -r "$T/demo.roster" --id demo-y -o "$T/y.xml"
err_one_line
err_has "template: it has a roster already"
[ ! -e "$T/y.xml" ] || fail "a scenario was written from a scenario"
pass "scenario make refuses a template that already has a roster (exit 2)"

# ---- hostile input: exit 2, one line naming the file, the line and the reason ----
H=$T/hostile
mkdir -p "$H"
HEAD='<?xml version="1.0" encoding="UTF-8"?>'
OPEN='<scenario xmlns="urn:ceremony:scenario:1" version="1">'
# hostile NAME LINE REASON: check and show both refuse $H/NAME.xml so, and quickly.
hostile() {
	local f=$H/$1.xml cmd
	for cmd in check show; do
		run_expect 2 timeout 20 "$CEREMONY" scenario "$cmd" "$f"
		err_one_line
		if [ -n "$2" ]; then
			err_has "ceremony: $f: line $2: $3"
		else
			err_has "ceremony: $f: $3"
		fi
	done
}

printf '%s\n<!DOCTYPE scenario [ <!ENTITY who "alice"> ]>\n%s<id>&who;</id></scenario>\n' "$HEAD" "$OPEN" >"$H/doctype.xml"
hostile doctype 2 "DOCTYPE or CDATA section refused"
pass "a DOCTYPE with an internal entity is refused before parsing"

{
	echo "$HEAD"
	echo '<!DOCTYPE scenario ['
	echo ' <!ENTITY lol "lol">'
	prev=lol
	for i in 1 2 3 4 5 6 7 8 9; do
		printf ' <!ENTITY lol%d "%s">\n' "$i" "$(for _ in 1 2 3 4 5 6 7 8 9 10; do printf '&%s;' "$prev"; done)"
		prev=lol$i
	done
	echo ']>'
	echo "$OPEN<id>&lol9;</id></scenario>"
} >"$H/laughs.xml"
start=$(date +%s)
hostile laughs 2 "DOCTYPE or CDATA section refused"
[ $(($(date +%s) - start)) -lt 10 ] || fail "the billion laughs took more than 10 seconds"
pass "a billion-laughs document is refused at once"

printf '%s\n<!DOCTYPE scenario SYSTEM "http://127.0.0.1:9/x">\n%s</scenario>\n' "$HEAD" "$OPEN" >"$H/system.xml"
printf '%s\n<!DOCTYPE scenario [ <!ENTITY ext SYSTEM "http://127.0.0.1:9/x"> ]>\n%s<id>&ext;</id></scenario>\n' \
	"$HEAD" "$OPEN" >"$H/external.xml"
hostile system 2 "DOCTYPE or CDATA section refused"
hostile external 2 "DOCTYPE or CDATA section refused"
if command -v strace >/dev/null && strace -f -qq -e trace=connect -o "$T/strace.probe" bash -c 'exec 3<>/dev/tcp/127.0.0.1/9' 2>/dev/null; [ -s "$T/strace.probe" ]; then
	# The probe shows that strace sees a connection attempt to 127.0.0.1:9; ceremony makes none.
	grep -q 'htons(9)' "$T/strace.probe" || fail "strace probe did not see the connection attempt"
	for f in system external; do
		strace -f -qq -e trace=connect -o "$T/strace.$f" "$CEREMONY" scenario check "$H/$f.xml" >/dev/null 2>&1 || true
		if grep -q 'connect(' "$T/strace.$f"; then cat "$T/strace.$f" >&2; fail "ceremony tried to connect while reading $f.xml"; fi
	done
	pass "an external DTD or entity on the network is refused, and no connection is attempted (strace)"
else
	pass "an external DTD or entity on the network is refused quickly (strace not usable here)"
fi

{
	echo "$HEAD"
	echo "$OPEN"
	for _ in $(seq 10000); do printf '<x>'; done
	for _ in $(seq 10000); do printf '</x>'; done
	echo
	echo '</scenario>'
} >"$H/deep.xml"
hostile deep 3 "Excessive depth in document"
pass "10,000 nested unknown elements are refused (depth)"

{
	echo "$HEAD"
	echo "$OPEN"
	echo '<!--'
	head -c $((1024 * 1024)) /dev/zero | tr '\0' 'a'
	echo '-->'
	echo '</scenario>'
} >"$H/big.xml"
truncate -s $((1024 * 1024 + 1)) "$H/big.xml"
[ "$(wc -c <"$H/big.xml")" -eq $((1024 * 1024 + 1)) ] || fail "test set-up: big.xml is not 1 MiB + 1"
# Refused by its size, before any line is read: the message names the file and the limit.
hostile big "" "too large (1048577 bytes, at most 1048576)"
pass "a file of 1 MiB + 1 byte is refused by its size"

# Edits of the demo template, each on a known line.
edit() { # edit NAME PERL-EXPRESSION
	perl -pe "$2" "$TPL/demo.xml" >"$H/$1.xml"
	cmp -s "$TPL/demo.xml" "$H/$1.xml" && fail "test set-up: $1 did not change the template"
	true
}
edit unknown-element 's|<revision>1</revision>|<revision>1</revision>\n  <owner>mallory</owner>|'
hostile unknown-element "$(line_of '<owner>' "$H/unknown-element.xml")" "unexpected element <owner> (expected <roles>)"
edit unknown-child 's|(<attach name="bag-photo">.*</attach>)|$1<vault-op/>|'
hostile unknown-child "$(line_of '<vault-op/>' "$H/unknown-child.xml")" "unexpected element <vault-op> in <step>"
edit unknown-attribute 's|<step id="open-bag" role="keymaster"|<step id="open-bag" role="keymaster" skip="true"|'
hostile unknown-attribute "$(line_of 'skip="true"' "$H/unknown-attribute.xml")" "unknown attribute skip on <step>"
edit duplicate-step 's|<step id="hardware-check"|<step id="room-check"|'
hostile duplicate-step "$(grep -n '<step id="room-check"' "$H/duplicate-step.xml" | tail -n1 | cut -d: -f1)" \
	'step "room-check" defined twice'
edit unknown-role 's|<step id="hardware-check" role="lead">|<step id="hardware-check" role="janitor">|'
hostile unknown-role "$(line_of 'janitor' "$H/unknown-role.xml")" 'unknown role "janitor"'
edit unknown-require-role 's|<require role="lead" count="1"/>|<require role="janitor" count="1"/>| if $. == '"$(line_of '<require role="lead"' "$TPL/demo.xml")"
hostile unknown-require-role "$(line_of 'janitor' "$H/unknown-require-role.xml")" 'unknown role "janitor"'
edit bad-pattern 's|pattern="HSM-\[0-9\]\{2,6\}"|pattern="HSM-[0-9"|'
hostile bad-pattern "$(line_of 'HSM-[0-9"' "$H/bad-pattern.xml")" \
	'capture hsm-serial: pattern "HSM-[0-9" is not a valid XML Schema regular expression'
pass "unknown element, unknown attribute, duplicate step id, unknown role, bad pattern: each refused on its line"

edit cdata 's|<title>Check the room</title>|<title><![CDATA[Check the room]]></title>|'
hostile cdata "$(line_of 'CDATA' "$H/cdata.xml")" "DOCTYPE or CDATA section refused"
edit pi 's|^  <steps>|  <?run rm -rf /?>\n  <steps>|'
hostile pi "$(line_of '<?run' "$H/pi.xml")" "processing instruction refused"
edit nul 's|Check the hardware|Check the\0hardware|'
hostile nul "$(line_of 'Check the hardware' "$TPL/demo.xml")" "NUL byte"
edit utf8 's|Open the bag</title>|Open the bag \xc3\x28</title>|'
hostile utf8 "$(line_of 'Open the bag</title>' "$TPL/demo.xml")" "Input is not proper UTF-8"
pass "a CDATA section, a processing instruction, a NUL byte, invalid UTF-8: each refused on its line"

# The stock schema agrees on what it can see.
for f in unknown-element unknown-child unknown-attribute duplicate-step unknown-role unknown-require-role; do schema_refuses "$H/$f.xml"; done
pass "xmllint --schema scenario.xsd refuses the unknown element, attribute, duplicate id and unknown role too"

# The first error is the one reported: a mismatched tag on line 3 is not reported at the end.
printf '<?xml version="1.0"?>\n<scenario xmlns="urn:ceremony:scenario:1" version="1">\n<id>a <b> c</id>\n<title>t</title>\n\n\n\n</scenario>\n' >"$T/first-error.xml"
run_expect 2 "$CEREMONY" scenario check "$T/first-error.xml"
err_one_line; err_has "first-error.xml: line 3: Opening and ending tag mismatch"
pass "a malformed document is reported at its first error's line"

finish
