import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { costCharts, fmtTokens, heatColour, qualityChart, renderChart, scoreChart } from '../../src/reports/charts.js';
import { loadCostStudy } from '../../src/reports/cost.js';
import { buildReportModel } from '../../src/reports/model.js';
import { DsabenchError } from '../../src/errors.js';
import { makeCostStudy, writeCostStudy } from './factories.js';

const root = mkdtempSync(join(tmpdir(), 'dsabench-charts-'));
after(() => rmSync(root, { recursive: true, force: true }));

describe('chart helpers', () => {
  it('formats token counts', () => {
    assert.deepEqual([1024, 4096, 131072, 1500, 512].map(fmtTokens), ['1K', '4K', '128K', '1.5k', '512']);
  });
  it('maps scores to red → amber → green', () => {
    assert.equal(heatColour(0), 'rgb(215,48,39)');
    assert.equal(heatColour(0.5), 'rgb(253,204,92)');
    assert.equal(heatColour(1), 'rgb(26,150,65)');
    assert.equal(heatColour(7), heatColour(1));
  });
  it('renders text: the title band of a chart holds dark pixels', async () => {
    const { loadImage, createCanvas } = await import('canvas');
    const cfg = qualityChart([makeCostStudy()])!;
    const img = await loadImage(renderChart(cfg));
    const c = createCanvas(1200, 700);
    const ctx = c.getContext('2d');
    ctx.drawImage(img, 0, 0);
    const band = ctx.getImageData(300, 0, 600, 34).data; // the centred title
    let dark = 0;
    for (let i = 0; i < band.length; i += 4) if (band[i]! < 80 && band[i + 1]! < 80 && band[i + 2]! < 80) dark++;
    assert.ok(dark > 300, `title pixels: ${dark} (is a system font installed?)`);
  });

  it('builds nothing from an empty model', () => {
    const m = buildReportModel([]);
    assert.equal(scoreChart(m), null);
    assert.deepEqual(costCharts([]), []);
    assert.equal(qualityChart([]), null);
  });
});

describe('cost study input', () => {
  it('reads a cost dir; a study without timings has no time chart and a labelled projected cost chart', () => {
    const study = makeCostStudy();
    for (const p of study.points) {
      (p as { ms_median: number | null }).ms_median = null;
      p.projected_usd_per_mtok = p.usd_per_mtok;
      delete p.usd_per_mtok;
    }
    delete study.quality;
    const dir = writeCostStudy(join(root, 'projected'), { ...study, projection_label: 'roofline projection: a model, not a measurement' });
    const loaded = loadCostStudy(dir);
    assert.equal(loaded.file, join(dir, 'cost.json'));
    const charts = costCharts([loaded]);
    assert.deepEqual(charts.map((c) => c.file), ['cost-flops.png', 'cost-usd.png']);
    const usd = charts[1]!.cfg.options!.plugins!;
    assert.match(String(usd.title!.text), /\(projected\)/);
    assert.match(String((usd as { subtitle?: { text?: unknown } }).subtitle!.text), /roofline projection: a model, not a measurement/);
    const png = renderChart(charts[1]!.cfg);
    assert.equal(png.readUInt32BE(16), 1200);
    assert.equal(qualityChart([loaded]), null);
  });

  it('names the file and field of a bad point', () => {
    const file = join(root, 'bad.json');
    writeFileSync(file, JSON.stringify({ profile: 'x', points: [{ mode: 'decode', attention: 'dense', position: 1, flops: 'many', ms_median: 1 }] }));
    assert.throws(() => loadCostStudy(file), (e: unknown) => e instanceof DsabenchError && e.file === file && e.field === '/points/0/flops');
    assert.throws(() => loadCostStudy(join(root, 'nowhere')), (e: unknown) => e instanceof DsabenchError && e.code === 'E_FILE_NOT_FOUND');
  });
});
