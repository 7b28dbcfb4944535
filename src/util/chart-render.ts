/**
 * One PNG renderer for every chart of the project (the report's and the training run's):
 * chart.js through chartjs-node-canvas, 1200×700, white background, 16 px DejaVu Sans,
 * rendered synchronously (renderToBufferSync: the async path of chartjs-node-canvas does not
 * work with the @napi-rs/canvas backend installed here), and the palette the charts share.
 */
import { existsSync } from 'node:fs';
import type { ChartConfiguration } from 'chart.js';
import { GlobalFonts } from 'canvas';
import { ChartJSNodeCanvas } from 'chartjs-node-canvas';

export const CHART_WIDTH = 1200;
export const CHART_HEIGHT = 700;
/** The font family of every chart's text (heat-map plugins draw with it too). */
export const FONT = 'DejaVu Sans';
const FONT_FILE = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';

/** Tableau-10: distinguishable, colour-blind friendlier than chart.js defaults. */
const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];
export const colour = (i: number): string => PALETTE[i % PALETTE.length]!;

let renderer: ChartJSNodeCanvas | null = null;
function getRenderer(): ChartJSNodeCanvas {
  if (renderer) return renderer;
  renderer = new ChartJSNodeCanvas({
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
    backgroundColour: 'white',
    chartCallback: (ChartJS) => {
      ChartJS.defaults.font.family = `"${FONT}", sans-serif`;
      ChartJS.defaults.font.size = 16;
      ChartJS.defaults.color = '#222';
      ChartJS.defaults.animation = false;
      ChartJS.defaults.responsive = false;
      ChartJS.defaults.devicePixelRatio = 1;
    },
  });
  // The system font is normally found by @napi-rs/canvas; register it explicitly when present
  // so text renders on hosts whose fontconfig lists nothing.
  if (existsSync(FONT_FILE)) {
    try {
      GlobalFonts.registerFromPath(FONT_FILE, FONT);
    } catch {
      // registration is best effort: the system font list usually has it already
    }
  }
  if (GlobalFonts.families.length === 0) {
    // Without any font every title, label and legend would be blank: say so once, loudly.
    process.stderr.write('dsabench: warning: no system font found; chart text will not render (install fonts-dejavu-core)\n');
  }
  return renderer;
}

export function renderChart(cfg: ChartConfiguration): Buffer {
  return getRenderer().renderToBufferSync(cfg as never, 'image/png');
}
