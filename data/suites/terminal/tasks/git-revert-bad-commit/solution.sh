#!/bin/bash
set -euo pipefail
cd /app
cd repo
git revert --no-edit HEAD
