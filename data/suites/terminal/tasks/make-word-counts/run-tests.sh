#!/bin/bash
set -u
cd /app
fail() { echo "FAIL: $*"; exit 1; }
cd corpus
rm -rf counts
make >/dev/null || fail "make fails"
for f in *.txt; do b=${f%.txt}; [ "$(cat counts/$b.count)" = "$(wc -w < $f | tr -d ' ')" ] || fail "wrong count for $f"; done
make -q 2>/dev/null || [ -z "$(make -n)" ] || fail "second make is not a no-op"
echo 'one two three' > new.txt
make >/dev/null || fail "make after adding a file fails"
[ "$(cat counts/new.count)" = "3" ] || fail "new file not picked up"
echo "all tests passed"
