#!/bin/bash
set -euo pipefail
cd /app
mkdir files
for i in 1 2 3 4; do head -c $((i * 1000)) /dev/urandom > files/f$i.bin; done
