#!/bin/bash
set -u
cd /app
fail() { echo "FAIL: $*"; exit 1; }
printf 'one two\nthree\n\nfour  five six\n' > /tmp/in.txt
[ "$(python3 wc.py /tmp/in.txt)" = "4 6 30" ] || fail "wrong counts: $(python3 wc.py /tmp/in.txt)"
err=$(python3 wc.py /tmp/nope 2>&1 >/dev/null); st=$?
[ "$st" = "2" ] || fail "missing file should exit 2, got $st"
[ "$err" = "error: /tmp/nope not found" ] || fail "wrong error message: $err"
echo "all tests passed"
