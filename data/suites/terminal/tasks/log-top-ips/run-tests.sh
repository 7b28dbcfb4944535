#!/bin/bash
set -u
cd /app
fail() { echo "FAIL: $*"; exit 1; }
[ "$(cat top_ips.txt 2>/dev/null)" = "$(printf '30 10.0.0.1\n22 10.0.0.5\n17 10.0.0.3')" ] || fail "top_ips.txt wrong: $(cat top_ips.txt 2>/dev/null)"
echo "all tests passed"
