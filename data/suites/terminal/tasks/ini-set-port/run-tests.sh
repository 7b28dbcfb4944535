#!/bin/bash
set -u
cd /app
fail() { echo "FAIL: $*"; exit 1; }
python3 - <<'EOF' || fail "config.ini is wrong"
import configparser
c = configparser.ConfigParser()
c.read('config.ini')
assert c['server']['port'].strip() == '8080', c['server']['port']
assert c['metrics']['port'].strip() == '9100'
assert c['server']['host'] == '0.0.0.0'
EOF
grep -q '^# main server' config.ini || fail "comment lost"
[ "$(wc -l < config.ini)" = "9" ] || fail "line count changed"
echo "all tests passed"
