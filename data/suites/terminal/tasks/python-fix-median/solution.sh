#!/bin/bash
set -euo pipefail
cd /app
cat > stats/median.py <<'EOF'
def median(xs):
    if not xs:
        raise ValueError("median of empty data")
    s = sorted(xs)
    n = len(s)
    mid = n // 2
    if n % 2:
        return s[mid]
    return (s[mid - 1] + s[mid]) / 2
EOF
