#!/bin/bash
set -u
cd /app
fail() { echo "FAIL: $*"; exit 1; }
want=$(cd repo && git log --format=%H --grep='Add config' -1)
[ "$(tr -d '[:space:]' < answer.txt 2>/dev/null)" = "$want" ] || fail "wrong commit"
echo "all tests passed"
