/**
 * End to end: the real CLI builds a report from three runs and a cost study, then Debian's
 * headless Chromium opens report.html (file://, network disabled) and we check what it
 * rendered: the DOM after scripts ran (tables, rows, decoded chart images) and a screenshot
 * that is not blank. Without Chromium the test fails under CI=true and skips locally.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { loadImage, createCanvas } from 'canvas';
import { packagePath } from '../../src/util/package.js';
import { threeRuns, writeCostStudy } from '../reports/factories.js';

const CHROMIUM = process.env.DSABENCH_CHROMIUM ?? '/usr/bin/chromium';
const root = mkdtempSync(join(tmpdir(), 'dsabench-e2e-report-'));
after(() => rmSync(root, { recursive: true, force: true }));

function chromium(args: string[]): { stdout: string; status: number | null; stderr: string } {
  const profile = mkdtempSync(join(root, 'profile-'));
  const r = spawnSync(CHROMIUM, [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', '--disable-extensions', `--user-data-dir=${profile}`, ...args,
  ], { encoding: 'utf8', timeout: 60_000, maxBuffer: 256 * 1024 * 1024 });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

describe('report.html in headless Chromium', () => {
  const out = join(root, 'report');
  let cliOut = '';
  before(() => {
    const runs = threeRuns(join(root, 'runs'));
    const cost = writeCostStudy(join(root, 'cost'));
    const r = spawnSync(process.execPath, [packagePath('bin', 'dsabench.js'), 'report', ...runs, '--out', out, '--cost', cost, '--title', 'E2E leaderboard'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, `dsabench report failed: ${r.stderr}`);
    cliOut = r.stdout;
  });

  it('the CLI wrote every output', () => {
    assert.match(cliOut, /report: 3 run\(s\), 3 provider row\(s\), 3 suite\(s\), 12 chart\(s\)/);
    assert.deepEqual(readdirSync(out).filter((f) => f !== 'probe.html').sort(), ['charts', 'leaderboard.csv', 'report.html', 'report.json', 'report.md']);
  });

  it('renders the tables and decodes every embedded chart', (t) => {
    if (!existsSync(CHROMIUM)) {
      if (process.env.CI === 'true') assert.fail(`Chromium not found at ${CHROMIUM}: install Debian's chromium (apt-get install -y chromium) — required in CI`);
      t.skip(`Chromium not found at ${CHROMIUM}; install it with apt-get install -y chromium to run this test`);
      return;
    }
    const url = pathToFileURL(join(out, 'report.html')).href;
    const dom = chromium(['--virtual-time-budget=5000', '--dump-dom', url]);
    assert.equal(dom.status, 0, dom.stderr.slice(-2000));
    const html = dom.stdout;
    // The page's own load handler counted decoded <img> elements: all 12 charts decoded.
    assert.match(html, /<html lang="en" data-images-decoded="12\/12" data-tables="(\d+)"/);
    const tables = Number(/data-tables="(\d+)"/.exec(html)![1]);
    assert.ok(tables >= 10, `tables: ${tables}`);
    assert.match(html, /<title>E2E leaderboard<\/title>/);
    const board = /<table class="sortable" id="leaderboard-table">([\s\S]*?)<\/table>/.exec(html)![1]!;
    assert.deepEqual([...board.matchAll(/<tr><td>([^<]+)<\/td>/g)].map((m) => m[1]), ['openai:deepseek-v3.2', 'openai:deepseek-v3.1', 'native:dsa-small']);
    assert.match(html, /id="published-table"[\s\S]*DeepSeek-V3\.2 \(thinking\) <span class="badge">published, not measured<\/span>/);
    assert.equal((html.match(/<details class="transcript" id="t-/g) ?? []).length, (80 + 60) * 3 + 120 * 2);
  });

  it('sorts a table on a header click, filters the drill-down, opens a linked transcript', (t) => {
    if (!existsSync(CHROMIUM)) {
      if (process.env.CI === 'true') assert.fail(`Chromium not found at ${CHROMIUM} (required in CI)`);
      t.skip('Chromium not installed');
      return;
    }
    // A copy of the report with a probe appended: it clicks like a user would, after the
    // report's own script has run, and writes what it saw into attributes of <html>.
    const probe = `<script>
      var th = document.querySelectorAll('#leaderboard-table thead th')[1];
      th.click();
      var asc = Array.prototype.map.call(document.querySelectorAll('#leaderboard-table tbody tr'), function (r) { return r.cells[0].textContent; }).join('|');
      th.click();
      var desc = Array.prototype.map.call(document.querySelectorAll('#leaderboard-table tbody tr'), function (r) { return r.cells[0].textContent; }).join('|');
      var cb = document.querySelector('input.disagree-toggle'); cb.checked = true; cb.dispatchEvent(new Event('change'));
      var visible = Array.prototype.filter.call(document.querySelectorAll('#drill-0 tbody tr'), function (r) { return getComputedStyle(r).display !== 'none'; }).length;
      document.documentElement.setAttribute('data-probe', asc + ';' + desc + ';' + visible + ';' + document.getElementById('t-0-0-0').open);
    </script></body>`;
    const copy = join(out, 'probe.html');
    writeFileSync(copy, readFileSync(join(out, 'report.html'), 'utf8').replace('</body>', probe));
    const dom = chromium(['--virtual-time-budget=5000', '--dump-dom', `${pathToFileURL(copy).href}#t-0-0-0`]);
    assert.equal(dom.status, 0, dom.stderr.slice(-2000));
    const m = /data-probe="([^"]*)"/.exec(dom.stdout);
    assert.ok(m, 'probe did not run');
    const [asc, desc, visible, open] = m[1]!.split(';');
    assert.equal(asc, 'native:dsa-small|openai:deepseek-v3.1|openai:deepseek-v3.2');
    assert.equal(desc, 'openai:deepseek-v3.2|openai:deepseek-v3.1|native:dsa-small');
    // math items 0–79 pass below 64 / 56 / 24 (80% / 70% / 30%): all agree on 0–23 and 64–79 → 40 disagree.
    assert.equal(visible, '40');
    assert.equal(open, 'true');
  });

  it('paints a page that is not blank', async (t) => {
    if (!existsSync(CHROMIUM)) {
      if (process.env.CI === 'true') assert.fail(`Chromium not found at ${CHROMIUM} (required in CI)`);
      t.skip('Chromium not installed');
      return;
    }
    const shot = join(root, 'shot.png');
    const r = chromium(['--window-size=1280,1600', '--virtual-time-budget=5000', `--screenshot=${shot}`, pathToFileURL(join(out, 'report.html')).href]);
    assert.equal(r.status, 0, r.stderr.slice(-2000));
    const img = await loadImage(shot);
    assert.equal(img.width, 1280);
    const c = createCanvas(img.width, img.height);
    const ctx = c.getContext('2d');
    ctx.drawImage(img, 0, 0);
    const { data } = ctx.getImageData(0, 0, img.width, img.height);
    let dark = 0;
    let tinted = 0;
    for (let i = 0; i < data.length; i += 4) {
      const [r0, g0, b0] = [data[i]!, data[i + 1]!, data[i + 2]!];
      if (r0 < 100 && g0 < 100 && b0 < 100) dark++; // text
      if (Math.abs(r0 - 0xf0) < 4 && Math.abs(g0 - 0xf0) < 4 && Math.abs(b0 - 0xf3) < 4) tinted++; // table header background
    }
    assert.ok(dark > 5_000, `text pixels: ${dark}`);
    assert.ok(tinted > 5_000, `table header pixels: ${tinted}`);
  });
});
