#!/bin/bash
set -euo pipefail
cd /app
grep -c ' ERROR ' service.log > answer.txt
