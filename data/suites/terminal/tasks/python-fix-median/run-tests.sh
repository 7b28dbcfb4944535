#!/bin/bash
set -u
cd /app
fail() { echo "FAIL: $*"; exit 1; }
cp -r /tests/hidden /tmp/hidden
cp -r stats /tmp/hidden/
cd /tmp/hidden && python3 -m unittest -q test_hidden 2>&1 || fail "hidden tests fail"
cd /app && python3 -m unittest discover -s tests -q 2>&1 || fail "visible tests fail"
echo "all tests passed"
