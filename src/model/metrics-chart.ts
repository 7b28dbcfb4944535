/**
 * Training charts from metrics.jsonl lines: LM loss vs step (one colour per stage, raw and
 * smoothed, so the stage boundaries show) and the indexer's KL during warm-up and sparse
 * training. Builders return chart.js configurations (null when there is nothing to draw);
 * src/util/chart-render.ts renders them like every other chart of the project.
 */
import type { ChartConfiguration } from 'chart.js';
import { colour } from '../util/chart-render.js';
import type { TrainStage } from './native.js';

/**
 * The fields of a metrics.jsonl step line (train.ts `MetricsLine`) the charts read; declared
 * here so that train.ts, which loads this module lazily, is not imported back.
 */
export interface MetricsStep {
  step: number;
  stage: TrainStage;
  lm_loss: number;
  kl_loss: number;
  /** A dense step of a sparse stage: no indexer KL. */
  dense?: true;
}

const STAGE_COLOUR: Record<string, number> = { pretrain: 0, warmup: 1, sparse: 2 };

/** Centred moving average over ±h points (fewer at the ends): smooths without lagging. */
function smooth(ys: readonly number[], h: number): number[] {
  const pre = [0];
  for (const y of ys) pre.push(pre[pre.length - 1]! + y);
  return ys.map((_, i) => {
    const lo = Math.max(0, i - h), hi = Math.min(ys.length, i + h + 1);
    return (pre[hi]! - pre[lo]!) / (hi - lo);
  });
}

function byStage(lines: readonly MetricsStep[]): Array<{ stage: string; lines: MetricsStep[] }> {
  const out: Array<{ stage: string; lines: MetricsStep[] }> = [];
  for (const l of lines) {
    const last = out[out.length - 1];
    if (last && last.stage === l.stage) last.lines.push(l);
    else out.push({ stage: l.stage, lines: [l] });
  }
  return out;
}

function seriesChart(
  lines: readonly MetricsStep[],
  value: (l: MetricsStep) => number,
  titleText: string,
  subtitle: string,
  yTitle: string,
): ChartConfiguration {
  const datasets: ChartConfiguration<'scatter'>['data']['datasets'] = [];
  for (const g of byStage(lines)) {
    const c = colour(STAGE_COLOUR[g.stage] ?? 3);
    const ys = g.lines.map(value);
    datasets.push({
      label: `${g.stage} (per step)`,
      data: g.lines.map((l, i) => ({ x: l.step, y: ys[i]! })),
      showLine: true,
      borderColor: c + '55',
      backgroundColor: c + '55',
      borderWidth: 1,
      pointRadius: 0,
    });
    const sm = smooth(ys, Math.max(ys.length >= 30 ? 3 : 0, Math.floor(ys.length / 60)));
    datasets.push({
      label: `${g.stage} (smoothed)`,
      data: g.lines.map((l, i) => ({ x: l.step, y: sm[i]! })),
      showLine: true,
      borderColor: c,
      backgroundColor: c,
      borderWidth: 3,
      pointRadius: 0,
    });
  }
  return {
    type: 'scatter',
    data: { datasets },
    options: {
      plugins: {
        title: { display: true, text: titleText, font: { size: 22, weight: 'bold' }, padding: { top: 8, bottom: 4 } },
        subtitle: { display: true, text: subtitle, font: { size: 15 }, color: '#555', padding: { bottom: 12 } },
        legend: { position: 'bottom' },
      },
      scales: {
        x: { type: 'linear', title: { display: true, text: 'Training step', font: { size: 17, weight: 'bold' } } },
        y: { title: { display: true, text: yTitle, font: { size: 17, weight: 'bold' } } },
      },
    },
  } as ChartConfiguration;
}

/** LM loss (nats per scored byte, weighted) over all stages. */
export function lossChart(lines: readonly MetricsStep[]): ChartConfiguration | null {
  if (lines.length === 0) return null;
  const stages = byStage(lines).map((g) => `${g.stage} ${g.lines[0]!.step}–${g.lines[g.lines.length - 1]!.step}`).join(' · ');
  return seriesChart(lines, (l) => l.lm_loss, 'Training LM loss', `weighted cross-entropy per target; ${stages}`, 'LM loss (nats)');
}

/** Indexer KL(main attention ‖ indexer) during the warm-up and sparse stages. */
export function klChart(lines: readonly MetricsStep[]): ChartConfiguration | null {
  // dense steps of a sparse stage (dense_fraction) train no indexer: left out
  const kl = lines.filter((l) => l.stage === 'warmup' || (l.stage === 'sparse' && !l.dense));
  if (kl.length === 0) return null;
  return seriesChart(kl, (l) => l.kl_loss, 'Indexer KL divergence', 'KL(summed main attention ‖ indexer), mean over layers and positions; sparse stage: over the selected top-k keys', 'KL (nats)');
}
