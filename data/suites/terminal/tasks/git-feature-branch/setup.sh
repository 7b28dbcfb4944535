#!/bin/bash
set -euo pipefail
cd /app
mkdir repo && cd repo
git init -q -b main
echo '# demo' > README.md
git add README.md && git commit -q -m 'Initial commit'
