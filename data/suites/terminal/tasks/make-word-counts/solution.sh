#!/bin/bash
set -euo pipefail
cd /app
cd corpus
cat > Makefile <<'EOF'
SRC := $(wildcard *.txt)
OUT := $(patsubst %.txt,counts/%.count,$(SRC))
all: $(OUT)
counts/%.count: %.txt
	@mkdir -p counts
	wc -w < $< | tr -d ' ' > $@
.PHONY: all
EOF
