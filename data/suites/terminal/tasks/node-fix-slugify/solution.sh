#!/bin/bash
set -euo pipefail
cd /app
cat > slug/slugify.js <<'EOF'
function slugify(s) {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
}
module.exports = { slugify };
EOF
