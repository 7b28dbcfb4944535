#!/bin/bash
set -euo pipefail
cd /app
cd repo
git log -S API_TOKEN --format=%H --reverse | sed -n 1p > /app/answer.txt
