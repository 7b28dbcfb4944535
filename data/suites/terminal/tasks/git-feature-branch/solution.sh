#!/bin/bash
set -euo pipefail
cd /app
cd repo
git checkout -b feature/greeting
echo 'hello, world' > hello.txt
git add hello.txt
git commit -m 'Add greeting'
git checkout main
git merge feature/greeting
