#!/bin/bash
set -u
cd /app
fail() { echo "FAIL: $*"; exit 1; }
[ "$(cat active.txt 2>/dev/null)" = "$(printf 'li\nmia\nzoe')" ] || fail "active.txt is wrong"
echo "all tests passed"
