#!/bin/bash
set -euo pipefail
cd /app
python3 -c "import json; print('\n'.join(sorted(u['name'] for u in json.load(open('users.json')) if u['active'] and u['age'] >= 21)))" > active.txt
