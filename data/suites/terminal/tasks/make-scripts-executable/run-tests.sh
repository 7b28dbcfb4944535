#!/bin/bash
set -u
cd /app
fail() { echo "FAIL: $*"; exit 1; }
for s in step1 step2 step3 run-all; do [ -x bin/$s.sh ] || fail "bin/$s.sh not executable"; done
out=$(cd /tmp && /app/bin/run-all.sh) || fail "run-all.sh failed"
[ "$out" = "$(printf 'one\ntwo\nthree')" ] || fail "wrong output: $out"
cp -r /app/bin /tmp/b2 && printf '#!/bin/bash\necho two; exit 7\n' > /tmp/b2/step2.sh
out=$(/tmp/b2/run-all.sh); st=$?
[ "$st" = "7" ] || fail "run-all.sh should exit 7 when step2 fails, got $st"
[ "$out" = "$(printf 'one\ntwo')" ] || fail "run-all.sh continued after a failure"
echo "all tests passed"
