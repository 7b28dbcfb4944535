#!/bin/bash
set -euo pipefail
cd /app
chmod +x bin/step1.sh bin/step2.sh bin/step3.sh
cat > bin/run-all.sh <<'EOF'
#!/bin/bash
set -e
dir=$(dirname "$0")
"$dir/step1.sh"
"$dir/step2.sh"
"$dir/step3.sh"
EOF
chmod +x bin/run-all.sh
