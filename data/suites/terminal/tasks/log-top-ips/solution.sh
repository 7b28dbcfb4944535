#!/bin/bash
set -euo pipefail
cd /app
awk '{print $1}' access.log | sort | uniq -c | sort -rn | awk 'NR <= 3 {print $1, $2}' > top_ips.txt
