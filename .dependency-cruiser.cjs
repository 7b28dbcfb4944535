/**
 * The layer order of src/, checked by dependency-cruiser (`npm run lint:layers`, run by
 * `npm test`; test/layers/layers.test.ts shows that an injected upward import or loop fails it).
 * docs/architecture.md draws the layers and says what each holds.
 *
 * A module may import from its own folder and from the layers below its own, never from a
 * layer above. Folders of one layer do not import each other, except where `allow` says so
 * (with the reason). No import loops, at any scale: type-only imports count too (a type that
 * climbs the order is a dependency that climbs it). test/ and bench/ sit on top of all of
 * src/; src/ imports neither, and test/ does not import bench/.
 *
 * A member is a folder under src/ (`util`) or a single file of src/ (`types.ts`).
 */

/** Bottom first. */
const LAYERS = [
  {
    name: 'base',
    members: ['types.ts', 'errors.ts', 'util'],
    allow: { util: { to: ['types.ts', 'errors.ts'], why: 'the helpers build values of the shared types and throw DsabenchError' } },
  },
  {
    // cache: the SQLite response cache, storage with no knowledge of providers or suites.
    name: 'infrastructure',
    members: ['engine', 'tokenizers', 'sandbox', 'cache'],
  },
  {
    name: 'tasks',
    members: ['scorers', 'solvers', 'suites'],
    allow: {
      suites: {
        to: ['scorers', 'solvers'],
        why: "a suite file names its scorer (with options) and its solver, and loading checks them against those registries; the code and math loaders reuse the scorers' answer extraction. Scorers and solvers never import suites",
      },
    },
  },
  {
    name: 'models',
    members: ['model', 'providers'],
    allow: { providers: { to: ['model'], why: 'the native provider serves the built-in model; the model never imports providers' } },
  },
  // The run folder's files (run.json, samples.jsonl, summary.json, results.csv): one reader and
  // one writer each, and the summary statistics.
  { name: 'results', members: ['results'] },
  // runner/queue/: a queued run (coordinator, worker) is one of the two ways a run executes.
  { name: 'runner', members: ['runner'] },
  // serve: the OpenAI-compatible HTTP server of the built-in model, an application like the others.
  { name: 'applications', members: ['cost', 'reports', 'serve'] },
  // cli/: the commands and their helpers (run-settings, cost, default-job with the post-run
  // steps, flags...), which nothing below imports. index.ts: the package's exports.
  { name: 'entry', members: ['cli', 'index.ts'] },
];

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** Path pattern of some members: `util` → `^src/util/`, `types.ts` → `^src/types\.ts$`. */
const pattern = (members) => `^src/(${members.map((m) => (m.endsWith('.ts') ? `${escape(m)}$` : `${escape(m)}/`)).join('|')})`;

const layerRules = LAYERS.flatMap((layer, i) => {
  const above = LAYERS.slice(i + 1).flatMap((l) => l.members);
  const rules = [];
  if (above.length > 0) {
    rules.push({
      name: `upward-from-${layer.name}`,
      comment: `${layer.name} (${layer.members.join(', ')}) may not import the layers above it: ${LAYERS.slice(i + 1).map((l) => l.name).join(', ')}`,
      severity: 'error',
      from: { path: pattern(layer.members) },
      to: { path: pattern(above) },
    });
  }
  for (const m of layer.members) {
    const allowed = layer.allow?.[m]?.to ?? [];
    const siblings = layer.members.filter((o) => o !== m && !allowed.includes(o));
    if (siblings.length === 0) continue;
    rules.push({
      name: `sibling-${m.replace(/\.ts$/, '')}`,
      comment: `${m} may not import ${siblings.join(', ')} (same layer: ${layer.name})${allowed.length ? `; it may import ${allowed.join(', ')}: ${layer.allow[m].why}` : ''}`,
      severity: 'error',
      from: { path: pattern([m]) },
      to: { path: pattern(siblings) },
    });
  }
  return rules;
});

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'no import loops, type-only imports included',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...layerRules,
    {
      name: 'src-imports-test-or-bench',
      comment: 'the package does not depend on its tests or benchmarks',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'test-imports-bench',
      comment: 'benchmarks may reuse test helpers, not the other way round',
      severity: 'error',
      from: { path: '^test/' },
      to: { path: '^bench/' },
    },
    {
      name: 'src-imports-dev-dependency',
      comment: 'src/ is what the package ships: it may not need a devDependency at run time',
      severity: 'error',
      from: { path: '^src/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'unresolvable',
      comment: 'an import that resolves to nothing is a typo or a missing package',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|build|node_modules)/' },
    tsConfig: { fileName: 'tsconfig.json' },
    // Type-only imports are dependencies too (they are erased at run time, not in the design).
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
