/**
 * Learning-rate schedule of one training stage: linear warm-up from 0 to `lr` over
 * `warmupSteps`, then cosine decay from `lr` to `minLr` at the stage's last step.
 * Steps are 0-based within the stage; the rate of step s is used for the update of step s.
 */
export interface LrSchedule {
  lr: number;
  minLr: number;
  warmupSteps: number;
  steps: number;
}

export function learningRate(s: LrSchedule, step: number): number {
  if (s.warmupSteps > 0 && step < s.warmupSteps) return (s.lr * (step + 1)) / s.warmupSteps;
  const decaySteps = s.steps - s.warmupSteps;
  if (decaySteps <= 1) return s.lr;
  const t = Math.min(1, Math.max(0, (step - s.warmupSteps) / (decaySteps - 1)));
  return s.minLr + 0.5 * (s.lr - s.minLr) * (1 + Math.cos(Math.PI * t));
}
