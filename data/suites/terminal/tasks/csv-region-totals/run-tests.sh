#!/bin/bash
set -u
cd /app
fail() { echo "FAIL: $*"; exit 1; }
[ -f totals.csv ] || fail "totals.csv missing"
want=$(python3 - <<'EOF'
import csv
t = {}
for r in csv.DictReader(open('sales.csv')):
    t[r['region']] = t.get(r['region'], 0) + int(r['amount'])
print('region,total')
for k in sorted(t): print(f'{k},{t[k]}')
EOF
)
[ "$(cat totals.csv)" = "$want" ] || fail "totals.csv differs from the expected totals"
echo "all tests passed"
