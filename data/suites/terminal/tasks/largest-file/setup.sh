#!/bin/bash
set -euo pipefail
cd /app
mkdir -p tree/a tree/b/c tree/d
head -c 1000 /dev/zero > tree/a/one.bin
head -c 5000 /dev/zero > tree/a/two.bin
head -c 70000 /dev/zero > tree/b/c/big.dat
head -c 69999 /dev/zero > tree/d/almost.dat
echo small > tree/d/small.txt
