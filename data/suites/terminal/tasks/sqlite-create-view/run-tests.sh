#!/bin/bash
set -u
cd /app
fail() { echo "FAIL: $*"; exit 1; }
got=$(sqlite3 shop.db "SELECT name || '=' || total FROM customer_totals ORDER BY name") || fail "view missing"
[ "$got" = "$(printf 'Ada=200.0\nGrace=204.5\nLinus=204.0')" ] || fail "wrong view rows: $got"
[ "$(sqlite3 shop.db 'SELECT COUNT(*) FROM orders')" = "7" ] || fail "orders table changed"
echo "all tests passed"
