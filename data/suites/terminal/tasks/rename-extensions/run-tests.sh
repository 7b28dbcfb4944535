#!/bin/bash
set -u
cd /app
fail() { echo "FAIL: $*"; exit 1; }
[ -z "$(find docs -name '*.txt')" ] || fail ".txt files remain"
for f in docs/a.md docs/notes/b.md "docs/notes/deep/c d.md" docs/keep.rst docs/x.txt.bak; do [ -f "$f" ] || fail "missing $f"; done
[ "$(cat docs/a.md)" = "alpha" ] || fail "content of a.md changed"
[ "$(find docs -type f | wc -l)" = "5" ] || fail "wrong number of files"
echo "all tests passed"
