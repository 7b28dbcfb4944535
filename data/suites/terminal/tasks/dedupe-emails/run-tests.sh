#!/bin/bash
set -u
cd /app
fail() { echo "FAIL: $*"; exit 1; }
want=$(printf 'ann@example.com\nbob@example.com\ncarl@test.org\ndana@test.org\neve@x.io')
[ "$(cat unique.txt 2>/dev/null)" = "$want" ] || fail "unique.txt is wrong"
echo "all tests passed"
