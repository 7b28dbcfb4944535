#!/bin/bash
set -u
cd /app
fail() { echo "FAIL: $*"; exit 1; }
[ -f answer.txt ] || fail "answer.txt missing"
want=$(grep -c ' ERROR ' service.log)
got=$(tr -d '[:space:]' < answer.txt)
[ "$got" = "$want" ] || fail "expected $want, got '$got'"
echo "all tests passed"
