#!/bin/bash
set -u
cd /app
fail() { echo "FAIL: $*"; exit 1; }
cd slug && node test.js || fail "node test.js fails"
node -e "
const { slugify } = require('/app/slug/slugify.js');
const assert = require('node:assert');
assert.strictEqual(slugify('--Already--Slugged--'), 'already-slugged');
assert.strictEqual(slugify('Ünïcode & More!'), 'n-code-more');
assert.strictEqual(slugify(''), '');
" || fail "hidden checks fail"
echo "all tests passed"
