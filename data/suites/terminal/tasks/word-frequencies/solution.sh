#!/bin/bash
set -euo pipefail
cd /app
tr 'A-Z' 'a-z' < book.txt | grep -oE '[a-z]+' | sort | uniq -c | sort -k1,1nr -k2,2 | awk 'NR <= 5 {print $2, $1}' > top5.txt
