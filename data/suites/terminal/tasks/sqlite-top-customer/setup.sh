#!/bin/bash
set -euo pipefail
cd /app
sqlite3 shop.db <<'EOF'
CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE orders(id INTEGER PRIMARY KEY, customer_id INTEGER, amount REAL);
INSERT INTO customers VALUES (1,'Ada'),(2,'Grace'),(3,'Linus'),(4,'Ken');
INSERT INTO orders(customer_id, amount) VALUES (1,120),(1,80),(2,99.5),(2,60),(2,45),(3,199),(4,10),(3,5);
EOF
