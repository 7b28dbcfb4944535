#!/bin/bash
cd /app
mkdir -p /logs/verifier
rm -rf /tmp/s /tmp/d; mkdir -p /tmp/s/sub
echo 1 > "/tmp/s/a file.txt"; echo 2 > /tmp/s/b.txt; echo 3 > /tmp/s/sub/nested.txt
out=$(bash backup.sh /tmp/s /tmp/d 2>/dev/null)
score=0
[ -f "/tmp/d/a file.txt" ] && score=$((score + 1))
[ -f /tmp/d/b.txt ] && score=$((score + 1))
[ "$out" = "2" ] && score=$((score + 1))
python3 -c "print($score / 3)" > /logs/verifier/reward.txt
