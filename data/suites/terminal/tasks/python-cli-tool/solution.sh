#!/bin/bash
set -euo pipefail
cd /app
cat > wc.py <<'EOF'
import os, sys
path = sys.argv[1]
if not os.path.isfile(path):
    print(f"error: {path} not found", file=sys.stderr)
    sys.exit(2)
data = open(path, 'rb').read()
print(data.count(b'\n'), len(data.split()), len(data))
EOF
