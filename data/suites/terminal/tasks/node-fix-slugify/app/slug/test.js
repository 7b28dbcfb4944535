const assert = require('node:assert');
const { slugify } = require('./slugify.js');
assert.strictEqual(slugify('Hello World'), 'hello-world');
assert.strictEqual(slugify('  Many   spaces here '), 'many-spaces-here');
assert.strictEqual(slugify('C++ & Rust: 2026 edition!'), 'c-rust-2026-edition');
console.log('ok');
