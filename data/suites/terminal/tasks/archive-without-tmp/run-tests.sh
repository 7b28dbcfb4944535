#!/bin/bash
set -u
cd /app
fail() { echo "FAIL: $*"; exit 1; }
[ -f backup.tar.gz ] || fail "backup.tar.gz missing"
list=$(tar -tzf backup.tar.gz | grep -v '/$' | sort) || fail "not a gzip tar"
[ "$list" = "$(printf 'data/a.txt\ndata/sub/b.txt\ndata/sub/c.log')" ] || fail "wrong archive contents: $list"
mkdir -p /tmp/x && tar -xzf backup.tar.gz -C /tmp/x && [ "$(cat /tmp/x/data/sub/b.txt)" = "bee" ] || fail "contents differ"
echo "all tests passed"
