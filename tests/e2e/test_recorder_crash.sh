#!/usr/bin/env bash
# Nothing lost: the recorder killed (SIGKILL) at random moments while it proposes records and adds
# sign-offs. After every kill the ceremony must open ('next' works), verify must find nothing, and
# no record may be committed half-signed.
. "$(dirname "$0")/lib.sh"
E=$T/evidence

for p in alice bob carol dave erin; do keygen $p; done
{
	echo "alice lead $(cut -d' ' -f1,2 "$T/keys/alice.pub")"
	echo "bob keymaster $(cut -d' ' -f1,2 "$T/keys/bob.pub")"
	echo "carol keymaster $(cut -d' ' -f1,2 "$T/keys/carol.pub")"
	echo "dave witness $(cut -d' ' -f1,2 "$T/keys/dave.pub")"
	echo "erin witness $(cut -d' ' -f1,2 "$T/keys/erin.pub")"
} >"$T/roster"
run_expect 0 "$CEREMONY" scenario make -t "$CEREMONY_SOURCE_DIR/templates/demo.xml" -r "$T/roster" --id crash -o "$T/scenario.xml"
run_expect 0 "$CEREMONY" begin -e "$E" -s "$T/scenario.xml" -k "$T/keys/alice" -k "$T/keys/dave"

# kill_after MICROSECONDS CMD...: start CMD, SIGKILL it after the delay (if still running).
kill_after() {
	local delay=$1
	shift
	"$@" >/dev/null 2>&1 &
	local pid=$!
	local usleep_s
	usleep_s=$(printf '0.%06d' "$delay")
	sleep "$usleep_s"
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

check_consistent() {
	run_expect 0 "$CEREMONY" next -e "$E"
	run_expect 3 "$CEREMONY" verify -e "$E" -s "$T/scenario.xml"
	out_has "conforming"
}

kills=0
for round in $(seq 1 12); do
	delay=$(( (RANDOM % 40) * 1000 + RANDOM % 1000 ))
	"$CEREMONY" next -e "$E" >"$T/next" 2>&1 || fail "next failed before round $round"
	if grep -q "^pending:" "$T/next"; then
		kill_after "$delay" "$CEREMONY" sign -e "$E" -k "$T/keys/erin"
	elif grep -q "is done by\|done by a" "$T/next" && grep -q "room-check" "$T/next"; then
		kill_after "$delay" "$CEREMONY" record -e "$E" --step room-check --value bag-serial=TEB-000042 -k "$T/keys/alice"
	else
		break
	fi
	kills=$((kills + 1))
	check_consistent
	# A committed room-check record must carry two sign-offs: never half-signed.
	if git -C "$E" cat-file -e main:records/00/00/00/01/record.xml 2>/dev/null; then
		[ "$(git -C "$E" ls-tree --name-only main:records/00/00/00/01/signoffs | wc -l)" -eq 2 ] ||
			fail "record 1 committed without its two sign-offs"
	fi
done
[ "$kills" -gt 0 ] || fail "no kill was attempted"
pass "$kills random kills during record and sign: the ceremony stays consistent, nothing half-signed"

# Finish the ceremony normally afterwards: the state the kills left is usable.
"$CEREMONY" next -e "$E" >"$T/next" 2>&1
if grep -q "^pending:" "$T/next"; then run_expect 0 "$CEREMONY" sign -e "$E" -k "$T/keys/erin"; fi
if grep -q "room-check" "$T/next" && ! grep -q "^pending:" "$T/next"; then
	run_expect 0 "$CEREMONY" record -e "$E" --step room-check --value bag-serial=TEB-000042 -k "$T/keys/alice" -k "$T/keys/erin"
fi
run_expect 0 "$CEREMONY" next -e "$E"
out_has "Open the bag"
pass "the ceremony goes on after the kills"

# Two sign-offs at the same moment, from two processes: both land, one after the other (the
# writers' lock), and the record is committed once with the three sign-offs its rule needs.
printf 'photo' >"$T/photo"
run_expect 0 "$CEREMONY" record -e "$E" --step open-bag --yes --attach bag-photo="$T/photo" -k "$T/keys/bob"
"$CEREMONY" sign -e "$E" -k "$T/keys/carol" >"$T/s1" 2>&1 &
p1=$!
"$CEREMONY" sign -e "$E" -k "$T/keys/dave" >"$T/s2" 2>&1 &
p2=$!
rc1=0; rc2=0
wait $p1 || rc1=$?
wait $p2 || rc2=$?
[ $rc1 -eq 0 ] && [ $rc2 -eq 0 ] || { cat "$T/s1" "$T/s2" >&2; fail "concurrent sign-offs: $rc1 $rc2"; }
cat "$T/s1" "$T/s2" | grep -q "^record [0-9]* committed" || { cat "$T/s1" "$T/s2" >&2; fail "not committed"; }
n=$(printf %02d $(($(git -C "$E" rev-list --count main) - 1)))
[ "$(git -C "$E" ls-tree --name-only "main:records/00/00/00/$n/signoffs" | wc -l)" -eq 3 ] || fail "not three sign-offs"
run_expect 3 "$CEREMONY" verify -e "$E" -s "$T/scenario.xml"
out_has "conforming"
pass "two sign-offs given at once both land, one after the other; committed once"

finish
