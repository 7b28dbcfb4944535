#!/bin/bash
set -euo pipefail
cd /app
sha256sum files/* > SHA256SUMS
