import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { bootstrapRatios, meanStat, pairedBootstrap, pairedNormal, quantileStat, twoProportion, welchZ } from '../../src/reports/gate/stats.js';

const close = (a: number, b: number, tol: number, what = '') => assert.ok(Math.abs(a - b) <= tol, `${what} ${a} vs ${b}`);

describe('gate statistics', () => {
  it('two-proportion z-test: 140/200 vs 120/200', () => {
    const r = twoProportion(140, 200, 120, 200, 0.05);
    close(r.estimate, -0.1, 1e-12);
    // z = −0.1 / sqrt(.65·.35·(2/200)) = −2.0966 → p = 0.0360
    close(r.p!, 0.0360, 5e-4, 'p');
    // unpooled SE = sqrt(.21/200 + .24/200) = 0.04743
    close(r.ci[0], -0.1 - 1.959964 * 0.047434, 1e-4, 'lo');
    close(twoProportion(5, 10, 5, 10, 0.05).p!, 1, 1e-6);
  });

  it('paired normal CI follows SE_d = sd(d)/sqrt(n)', () => {
    const d = [...Array(20).fill(-1), ...Array(180).fill(0)] as number[];
    const r = pairedNormal(d, 0.05);
    close(r.estimate, -0.1, 1e-12);
    const sd = Math.sqrt((20 * 0.81 + 180 * 0.01) / 199);
    close(r.ci[1], -0.1 + 1.959964 * sd / Math.sqrt(200), 1e-6);
    assert.deepEqual(pairedNormal([0, 0, 0], 0.05), { estimate: 0, ci: [0, 0], p: 1 });
  });

  it('paired bootstrap: reproducible, CI around the mean, p small for a clear shift and 1 for none', () => {
    const d = Array.from({ length: 200 }, (_, i) => -0.1 + 0.2 * Math.sin(i));
    const a = pairedBootstrap(d, 0.05, 2000, 3);
    assert.deepEqual(a, pairedBootstrap(d, 0.05, 2000, 3));
    assert.ok(a.ci[0] < a.estimate && a.estimate < a.ci[1]);
    assert.ok(a.p! <= 1 / 2000 + 1e-12, `p ${a.p}`);
    assert.equal(pairedBootstrap([0, 0, 0, 0], 0.05, 500, 1).p, 1);
  });

  it('Welch z from summary statistics', () => {
    const r = welchZ(0.7, 0.03, 0.6, 0.04, 0.05);
    close(r.estimate, -0.1, 1e-12);
    close(r.p!, 2 * (1 - 0.97725), 1e-3); // z = −2
  });

  it('bootstrap ratios: 1 with a CI around 1 on the same data, 2 on doubled data', () => {
    const xs = Array.from({ length: 300 }, (_, i) => 100 + ((i * 37) % 101));
    const [p50, p90] = bootstrapRatios(xs, xs, [quantileStat(0.5), quantileStat(0.9)], 0.05, 1000, 1);
    assert.equal(p50!.estimate, 1);
    assert.ok(p50!.ci[0] < 1 && p50!.ci[1] > 1);
    assert.ok(p90!.p! > 0.5);
    const [m] = bootstrapRatios(xs, xs.map((x) => 2 * x), [meanStat], 0.05, 1000, 1);
    close(m!.estimate, 2, 1e-12);
    assert.ok(m!.ci[0] > 1.8 && m!.ci[1] < 2.2);
    assert.ok(m!.p! < 0.01);
  });
});
