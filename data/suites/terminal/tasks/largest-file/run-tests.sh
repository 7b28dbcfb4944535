#!/bin/bash
set -u
cd /app
fail() { echo "FAIL: $*"; exit 1; }
[ "$(tr -d '\n' < answer.txt)" = "b/c/big.dat" ] || fail "wrong answer: $(cat answer.txt)"
echo "all tests passed"
