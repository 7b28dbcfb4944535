import { strict as assert } from 'node:assert';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { formatDuration, Progress } from '../../src/runner/progress.js';

function sink(): Writable & { text: string } {
  const w = new Writable({
    write(chunk: Buffer, _enc, cb) {
      w.text += chunk.toString();
      cb();
    },
  }) as Writable & { text: string };
  w.text = '';
  return w;
}

describe('progress', () => {
  it('TTY: redraws one line in place with bar, counts, pass rate, rate and ETA', () => {
    let t = 0;
    const out = sink();
    const p = new Progress(10, 2, { stream: out, tty: true, ttyIntervalMs: 100, now: () => t });
    t = 1000;
    p.tick(true, false);
    assert.equal(out.text, '\r\x1b[K[######--------------] 3/10 30% | pass 100.0% | err 0 | 1.0/s | ETA 0:07');
    t = 1050;
    p.tick(false, true); // within the redraw interval: not drawn
    t = 2000;
    p.tick(true, false);
    assert.ok(out.text.endsWith('\r\x1b[K[##########----------] 5/10 50% | pass 66.7% | err 1 | 1.5/s | ETA 0:03'), JSON.stringify(out.text));
    p.finish();
    p.finish();
    assert.ok(out.text.endsWith('\n'));
    assert.equal(out.text.split('\n').length, 2);
  });

  it('plain: a line per interval, no bar, no control codes; quiet: nothing', () => {
    let t = 0;
    const out = sink();
    const p = new Progress(4, 0, { stream: out, tty: false, plainIntervalMs: 10_000, now: () => t });
    t = 5000;
    p.tick(true, false);
    assert.equal(out.text, '');
    t = 10_000;
    p.tick(true, false);
    assert.equal(out.text, 'progress: 2/4 50% | pass 100.0% | err 0 | 0.2/s | ETA 0:10\n');
    p.finish();
    assert.equal((out.text as string).split('\n').length, 3);
    const q = sink();
    const quiet = new Progress(4, 0, { stream: q, quiet: true, tty: false, plainIntervalMs: 0 });
    quiet.tick(true, false);
    quiet.finish();
    assert.equal(q.text, '');
    assert.deepEqual(quiet.counts, { done: 1, passed: 1, errors: 0 });
  });

  it('formats durations', () => {
    assert.deepEqual([formatDuration(0), formatDuration(61), formatDuration(3600 + 62), formatDuration(NaN)], ['0:00', '1:01', '1:01:02', '?']);
  });
});
