#!/bin/bash
set -euo pipefail
cd /app
sqlite3 shop.db "CREATE VIEW customer_totals AS SELECT c.name AS name, SUM(o.amount) AS total FROM customers c JOIN orders o ON o.customer_id = c.id GROUP BY c.id"
