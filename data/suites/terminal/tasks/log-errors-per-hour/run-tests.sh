#!/bin/bash
set -u
cd /app
fail() { echo "FAIL: $*"; exit 1; }
want=$(python3 -c "
import collections
c = collections.Counter(l[11:13] for l in open('app.log') if '[ERROR]' in l)
print('hour,errors')
for h in sorted(c): print(f'{h},{c[h]}')
")
[ "$(cat errors_by_hour.csv 2>/dev/null)" = "$want" ] || fail "errors_by_hour.csv wrong"
echo "all tests passed"
