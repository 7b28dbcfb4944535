#!/bin/bash
set -u
cd /app
fail() { echo "FAIL: $*"; exit 1; }
cd repo
[ "$(git log --oneline | wc -l)" = "4" ] || fail "expected 4 commits (history kept + a revert)"
git log --format=%s | grep -q 'Speed up total' || fail "the broken commit was removed from history"
[ -z "$(git status --porcelain)" ] || fail "working tree not clean"
python3 -c "import calc; assert calc.total([1, 2, 3]) == 6" || fail "calc.total is still broken"
echo "all tests passed"
