#!/bin/bash
set -euo pipefail
cd /app
cd site
cat > Makefile <<'EOF'
out/index.html: header.html body.html footer.html
	mkdir -p out
	cat header.html body.html footer.html > out/index.html

.PHONY: clean
clean:
	rm -rf out
EOF
