#!/bin/bash
set -euo pipefail
cd /app
cat > backup.sh <<'EOF'
#!/bin/bash
set -euo pipefail
src=$1
dst=$2
mkdir -p "$dst"
n=0
for f in "$src"/*; do
  [ -f "$f" ] || continue
  cp -- "$f" "$dst"/
  n=$((n + 1))
done
echo "$n"
EOF
chmod +x backup.sh
