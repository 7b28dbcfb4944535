/**
 * JSON Schema (draft-07) of cost.json, published so reports and other tools can read it.
 * `dsabench cost --schema` prints it.
 */
export const COST_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://dsabench.dev/schemas/cost.schema.json',
  title: 'dsabench cost.json',
  type: 'object',
  required: ['profile', 'timer', 'measured', 'settings', 'points', 'summary', 'analytic_break_even'],
  properties: {
    profile: { type: 'string' },
    hardware: { type: 'string' },
    timer: { type: 'string', description: 'what timed the points, or "unsupported: …"' },
    measured: { type: 'boolean' },
    settings: {
      type: 'object',
      required: ['modes', 'positions', 'chunk', 'repeats', 'threads'],
      properties: {
        modes: { type: 'array', items: { enum: ['decode', 'prefill'] } },
        positions: { type: 'array', items: { type: 'integer', minimum: 1 } },
        chunk: { type: 'integer', minimum: 1 },
        repeats: { type: 'integer', minimum: 1 },
        threads: { type: 'integer', minimum: 1 },
        price_per_hour: { type: 'number', exclusiveMinimum: 0 },
        projection_price_per_hour: { type: 'number', exclusiveMinimum: 0 },
      },
    },
    points: {
      type: 'array',
      items: {
        type: 'object',
        required: ['mode', 'position', 'length', 'attention', 'ms_median', 'flops', 'bytes', 'model_flops'],
        properties: {
          mode: { enum: ['decode', 'prefill'] },
          position: { type: 'integer', minimum: 1 },
          length: { type: 'integer', minimum: 1 },
          attention: { enum: ['dense', 'sparse'] },
          chunk: { type: 'integer', minimum: 1 },
          ms_median: { type: ['number', 'null'], description: 'ms per token, one layer, median of repeats' },
          threads: { type: 'integer', minimum: 1 },
          gflops: { type: 'number', description: 'achieved GFLOP/s of the measurement' },
          flops: { type: 'number', description: 'analytic FLOPs per token, one layer' },
          bytes: { type: 'number', description: 'analytic cache bytes per token, one layer' },
          indexer_share: {
            type: 'number',
            minimum: 0,
            description: 'sparse, measured: selection phase (indexer + top-k) timed inside the fused call ÷ the call\'s wall time, median over calls; not clamped (above 1 would mean broken timings); absent when not measured',
          },
          indexer_ms_median: { type: 'number', minimum: 0, description: 'sparse, measured: ms per token of the selection phase inside the fused call' },
          indexer_share_flops: { type: 'number', minimum: 0, maximum: 1, description: 'sparse: analytic indexer FLOPs ÷ DSA FLOPs' },
          model_flops: { type: 'number' },
          model_ms: { type: ['number', 'null'], description: 'estimate: layers × measured ms_median + the non-attention FLOPs at the measured dense FLOP rate' },
          usd_per_mtok: { type: 'number', description: 'estimate: model_ms at --price-per-hour (built on the model_ms estimate)' },
          projected_usd_per_mtok: { type: 'number', description: 'roofline projection: a model, not a measurement' },
          projected_bound: { enum: ['compute', 'memory'] },
        },
      },
    },
    summary: { type: 'array' },
    break_even: { $ref: '#/definitions/breakEvens' },
    analytic_break_even: { $ref: '#/definitions/breakEvens' },
    projected_break_even: { $ref: '#/definitions/breakEvens' },
    projection_label: { type: 'string' },
    published: { type: 'object', required: ['rows', 'notes'] },
    quality: {
      type: 'array',
      items: {
        type: 'object',
        required: ['k', 'mass_recall', 'rel_error'],
        properties: {
          k: { type: 'integer', minimum: 1 },
          mass_recall: { type: 'number', minimum: 0, maximum: 1.000001 },
          oracle_mass_recall: { type: 'number', minimum: 0, maximum: 1.000001 },
          rel_error: { type: 'number', minimum: 0 },
        },
      },
    },
    quality_setup: { type: 'object' },
    workload: { type: 'array' },
  },
  definitions: {
    breakEvens: {
      type: 'object',
      properties: {
        decode: { type: ['integer', 'null'] },
        prefill: { type: ['integer', 'null'] },
      },
    },
  },
} as const;
