#!/bin/bash
set -euo pipefail
cd /app
mkdir repo && cd repo
git init -q -b main
for i in 1 2 3; do echo "line $i" >> notes.txt; git add notes.txt; git commit -q -m "Note $i"; done
printf 'host=localhost\nAPI_TOKEN=abc123\n' > config.env; git add config.env; git commit -q -m 'Add config'
for i in 4 5; do echo "line $i" >> notes.txt; git commit -q -am "Note $i"; done
sed -i '/API_TOKEN/d' config.env; git commit -q -am 'Tidy config'
echo 'line 6' >> notes.txt; git commit -q -am 'Note 6'
