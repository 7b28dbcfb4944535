#!/bin/bash
set -euo pipefail
cd /app
mkdir repo && cd repo
git init -q -b main
printf 'def total(xs):\n    s = 0\n    for x in xs:\n        s += x\n    return s\n' > calc.py
git add calc.py && git commit -q -m 'Add total'
echo 'def mean(xs): return total(xs) / len(xs)' >> calc.py
git commit -q -am 'Add mean'
sed -i 's/s += x/s = x/' calc.py
git commit -q -am 'Speed up total'
