#!/bin/bash
set -euo pipefail
cd /app
find docs -type f -name '*.txt' | while read -r f; do mv "$f" "${f%.txt}.md"; done
