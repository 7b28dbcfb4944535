#!/bin/bash
set -euo pipefail
cd /app
cd repo
git log -S API_TOKEN --format=%H --reverse | head -1 > /app/answer.txt
