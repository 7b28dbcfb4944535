#!/bin/bash
set -u
cd /app
fail() { echo "FAIL: $*"; exit 1; }
cd site
make clean >/dev/null 2>&1
make || fail "make fails"
[ "$(cat out/index.html)" = "$(cat header.html body.html footer.html)" ] || fail "out/index.html content wrong"
echo '<p>changed</p>' > body.html
make >/dev/null || fail "rebuild fails"
grep -q changed out/index.html || fail "out/index.html is not rebuilt when body.html changes"
make clean || fail "make clean fails"
[ ! -e out ] || fail "make clean did not remove out"
echo "all tests passed"
