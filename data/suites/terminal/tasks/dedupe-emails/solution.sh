#!/bin/bash
set -euo pipefail
cd /app
tr 'A-Z' 'a-z' < emails.txt | awk '!seen[$0]++' > unique.txt
