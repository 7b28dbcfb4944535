#!/bin/bash
set -u
cd /app
fail() { echo "FAIL: $*"; exit 1; }
cd repo
git rev-parse --verify -q feature/greeting >/dev/null || fail "branch feature/greeting missing"
[ "$(git branch --show-current)" = "main" ] || fail "main is not checked out"
[ "$(git show main:hello.txt)" = "hello, world" ] || fail "hello.txt not on main"
git log --format=%s main | grep -qx 'Add greeting' || fail "commit 'Add greeting' missing on main"
[ "$(git log --format=%s main | tail -1)" = "Initial commit" ] || fail "history rewritten"
echo "all tests passed"
