#!/bin/bash
set -u
cd /app
fail() { echo "FAIL: $*"; exit 1; }
want=$(python3 -c "
import re, collections
c = collections.Counter(re.findall('[a-z]+', open('book.txt').read().lower()))
for w, n in sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))[:5]: print(w, n)
")
[ "$(cat top5.txt 2>/dev/null)" = "$want" ] || fail "top5.txt wrong"
echo "all tests passed"
