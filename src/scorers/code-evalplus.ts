/**
 * The Python program that scores an EvalPlus (HumanEval+ / MBPP+) task the way EvalPlus's
 * own evaluator does (evalplus/eval, evalplus/evaluate.py, evalplus/data/mbpp.py):
 *
 * - inputs come from JSON that Python's `json` reads (big integers exact, NaN/Infinity),
 *   with `sys.set_int_max_str_digits(50000)`; MBPP+ tasks whose arguments JSON cannot hold
 *   (tuples, sets, complex numbers) are rebuilt by a named conversion (`conversion`);
 * - expected outputs come from the canonical solution (`prompt + canonical_solution`) on a
 *   deep copy of each input, timed: the candidate gets `max(min_time_s, factor × that time)`
 *   per input and `min(task_cap_s, Σ limits) + 2` s per group (base, then plus);
 * - outputs compare with `==`, then EvalPlus's special oracles (MBPP set-equal tasks,
 *   "not None" tasks whose output is an `re.Match`, the pyramid area, digit distance;
 *   HumanEval/32's root check), then floats: `atol` 0 with a float output means 1e-6, and
 *   unequal outputs pass when of the same type (and length) and numpy-allclose at
 *   rtol 1e-7 (computed here in plain Python: numpy need not be installed);
 * - stdout/stderr/stdin of the solutions are swallowed; the first failing input ends the run.
 *
 * The program prints one line `__dsabench_evalplus__ {json}` with base/plus/verdict/reason
 * and exits 0 only when every input passed.
 */

/** Named rebuilds of MBPP+ arguments (applied to each input's argument list). */
export const EVALPLUS_CONVERSIONS = [
  'args_to_tuples',
  'nested_args_to_tuples',
  'first_arg_items_to_tuples',
  'second_arg_to_tuple',
  'first_arg_items_to_sets',
  'float_and_complex',
  'first_arg_to_tuple',
  'args_to_nested_tuples',
  'first_arg_mixed_to_tuple',
  'first_arg_to_tuple_of_3',
  'dict_values_to_tuples',
  'complex',
  'all_lists_to_tuples',
] as const;

export type EvalplusConversion = (typeof EVALPLUS_CONVERSIONS)[number];

/** Which EvalPlus special oracles apply (they are keyed by dataset and entry point). */
export type EvalplusDataset = 'humaneval' | 'mbpp' | 'other';

export interface EvalplusRunSpec {
  entryPoint: string;
  dataset: EvalplusDataset;
  atol: number;
  /** The candidate's full source and the canonical solution's. */
  candidate: string;
  reference: string;
  /** JSON (Python dialect) of `{"base": [args...], "plus": [args...]}`. */
  inputsJson: string;
  conversion?: EvalplusConversion;
  includePlus: boolean;
  minTimeS: number;
  factor: number;
  taskCapS: number;
}

/** EvalPlus defaults (evalplus/config.py): 4 s minimum, 4 × the canonical time; 60 s per task. */
export const EVALPLUS_DEFAULTS = { minTimeS: 4, factor: 4, taskCapS: 60 } as const;

export const RESULT_MARK = '__dsabench_evalplus__ ';

export interface EvalplusResult {
  base: boolean;
  plus: boolean | null;
  verdict: 'passed' | 'failed' | 'timeout';
  reason: string;
}

/** The result line of an evalplus program's stdout, or null when it printed none (it crashed or exited early). */
export function parseEvalplusResult(stdout: string): EvalplusResult | null {
  const at = stdout.lastIndexOf(RESULT_MARK);
  if (at < 0) return null;
  const line = stdout.slice(at + RESULT_MARK.length).split('\n', 1)[0]!;
  try {
    const r = JSON.parse(line) as Partial<EvalplusResult>;
    if (typeof r.base !== 'boolean' || (r.verdict !== 'passed' && r.verdict !== 'failed' && r.verdict !== 'timeout')) return null;
    return { base: r.base, plus: typeof r.plus === 'boolean' ? r.plus : null, verdict: r.verdict, reason: typeof r.reason === 'string' ? r.reason : '' };
  } catch {
    return null;
  }
}

/** A Python float literal for a JS number (always with a decimal point or exponent). */
function pyFloat(x: number): string {
  if (!Number.isFinite(x)) return x > 0 ? "float('inf')" : x < 0 ? "float('-inf')" : "float('nan')";
  const s = String(x);
  return /[.eE]/.test(s) ? s : `${s}.0`;
}

export function evalplusProgram(s: EvalplusRunSpec): string {
  const header = [
    `_EP = ${JSON.stringify(s.entryPoint)}`,
    `_DATASET = ${JSON.stringify(s.dataset)}`,
    `_ATOL = ${pyFloat(s.atol)}`,
    `_MIN_LIMIT = ${pyFloat(s.minTimeS)}`,
    `_FACTOR = ${pyFloat(s.factor)}`,
    `_TASK_CAP = ${pyFloat(s.taskCapS)}`,
    `_GROUPS = ${s.includePlus ? "('base', 'plus')" : "('base',)"}`,
    `_CONVERSION = ${s.conversion === undefined ? 'None' : JSON.stringify(s.conversion)}`,
    `_CAND_SRC = ${JSON.stringify(s.candidate)}`,
    `_REF_SRC = ${JSON.stringify(s.reference)}`,
    `_INPUTS_JSON = ${JSON.stringify(s.inputsJson)}`,
  ].join('\n');
  return `${header}\n${HARNESS}`;
}

// The harness body. Python, kept verbatim (String.raw: backslashes are Python's).
const HARNESS = String.raw`
import contextlib as _ctx, copy as _copy, io as _io, json as _json, math as _math, os as _os
import signal as _signal, sys as _sys, time as _time

if hasattr(_sys, 'set_int_max_str_digits'):
    _sys.set_int_max_str_digits(50000)  # EvalPlus's own setting: its inputs hold big integers

_REAL_OUT, _REAL_ERR = _sys.stdout, _sys.stderr
_MARK = '__dsabench_evalplus__ '


def _report(result, code):
    _REAL_OUT.write('\n' + _MARK + _json.dumps(result) + '\n')
    _REAL_OUT.flush()
    if result.get('reason'):
        _REAL_ERR.write(result['reason'] + '\n')
    _REAL_ERR.flush()
    # _exit: threads a solution started must not keep the process alive.
    _os._exit(code)


class _Sink(_io.TextIOBase):
    """Swallows what the solutions print; reading input fails, as in EvalPlus."""
    def write(self, s):
        return len(s)
    def read(self, *a, **k):
        raise IOError('stdin is not available')
    readline = read
    def readlines(self, *a, **k):
        raise IOError('stdin is not available')
    def readable(self):
        return False
    def writable(self):
        return True


_SINK = _Sink()


@_ctx.contextmanager
def _quiet():
    saved = (_sys.stdout, _sys.stderr, _sys.stdin)
    _sys.stdout = _sys.stderr = _sys.stdin = _SINK
    try:
        yield
    finally:
        _sys.stdout, _sys.stderr, _sys.stdin = saved


class _TimeUp(BaseException):
    pass


def _on_alarm(signum, frame):
    raise _TimeUp()


_signal.signal(_signal.SIGALRM, _on_alarm)


@_ctx.contextmanager
def _time_limit(seconds):
    _signal.setitimer(_signal.ITIMER_REAL, max(seconds, 0.001))
    try:
        yield
    finally:
        _signal.setitimer(_signal.ITIMER_REAL, 0)


def _tuples(x):
    return tuple(_tuples(e) for e in x) if isinstance(x, list) else x


_CONVERT = {
    'args_to_tuples': lambda a: [tuple(x) for x in a],
    'nested_args_to_tuples': lambda a: [[tuple(y) for y in x] for x in a],
    'first_arg_items_to_tuples': lambda a: [[tuple(y) for y in a[0]], a[1]],
    'second_arg_to_tuple': lambda a: [a[0], tuple(a[1])],
    'first_arg_items_to_sets': lambda a: [[set(y) if isinstance(y, list) and len(y) else {} for y in a[0]]],
    'float_and_complex': lambda a: (float(a[0]), complex(a[1])),
    'first_arg_to_tuple': lambda a: [tuple(a[0]), a[1]],
    'args_to_nested_tuples': lambda a: [tuple(tuple(y) for y in x) for x in a],
    'first_arg_mixed_to_tuple': lambda a: [tuple(tuple(y) if isinstance(y, list) else y for y in a[0])],
    'first_arg_to_tuple_of_3': lambda a: [tuple(a[0]), a[1], a[2]],
    'dict_values_to_tuples': lambda a: [{k: tuple(v) for k, v in a[0].items()}] + a[1:],
    'complex': lambda a: [complex(a[0])],
    'all_lists_to_tuples': _tuples,
}

# EvalPlus's special oracles (evalplus/eval/_special_oracle.py), by entry point.
_NOT_NONE = ('check_str', 'text_match_three', 'text_starta_endb')
_SET_EQ = ('similar_elements', 'find_char_long', 'common_in_nested_lists', 'extract_singly',
           'larg_nnum', 'intersection_array', 'find_dissimilar', 'Diff')


def _pyramid_area(base_edge, height):
    # Mbpp/581: "height" is the perpendicular height of the square pyramid.
    slant = _math.sqrt((base_edge / 2) ** 2 + height ** 2)
    return round(base_edge ** 2 + 2 * base_edge * slant)


def _digit_distance(a, b):
    # Mbpp/558: the shorter number padded with leading zeros.
    x, y = str(a), str(b)
    n = max(len(x), len(y))
    return sum(abs(int(p) - int(q)) for p, q in zip(x.zfill(n), y.zfill(n)))


def _poly(xs, x):
    # HumanEval/32: the candidate's root is checked by evaluating the polynomial.
    return sum(c * _math.pow(x, i) for i, c in enumerate(xs))


def _is_floats(x):
    if isinstance(x, float):
        return True
    if isinstance(x, (list, tuple)) and x:
        return all(isinstance(e, float) for e in x)
    dtype = getattr(x, 'dtype', None)
    if dtype is not None and hasattr(x, 'shape'):
        return str(dtype) in ('float64', 'float32')
    return False


def _seq(x):
    return isinstance(x, (list, tuple))


def _depth(x):
    d = 0
    while _seq(x):
        d += 1
        if not x:
            break
        x = x[0]
    return d


def _finite(x):
    if isinstance(x, complex):
        return _math.isfinite(x.real) and _math.isfinite(x.imag)
    return _math.isfinite(x)


def _allclose(a, b, rtol, atol):
    """numpy.allclose(a, b, rtol, atol) on numbers and nested lists/tuples; False where numpy raises."""
    def close(x, y):
        if _seq(x) or _seq(y):
            dx, dy = _depth(x), _depth(y)
            if dx > dy:
                return all(close(e, y) for e in x)
            if dy > dx:
                return all(close(x, e) for e in y)
            if len(x) == len(y):
                return all(close(p, q) for p, q in zip(x, y))
            if len(x) == 1:
                return all(close(x[0], q) for q in y)
            if len(y) == 1:
                return all(close(p, y[0]) for p in x)
            raise ValueError('shapes do not broadcast')
        if not isinstance(x, (int, float, complex)) or not isinstance(y, (int, float, complex)):
            raise TypeError('not a number')
        if not (_finite(x) and _finite(y)):
            return x == y
        return abs(x - y) <= atol + rtol * abs(y)
    try:
        return bool(close(a, b))
    except Exception:
        return False


def _matches(out, exp, inp, atol):
    """EvalPlus's comparison of one output; returns (ok, atol): a float output fixes atol for the rest of the group."""
    exact = out == exp
    if _DATASET == 'mbpp':
        if _EP == 'are_equivalent':
            exact = True
        elif _EP == 'sum_div':
            exact = exact or out == 0
        elif _EP == 'surface_Area':
            exact = exact or abs(out - _pyramid_area(*inp)) <= atol
        elif _EP == 'digit_distance_nums':
            exact = exact or out == _digit_distance(*inp)
        elif _EP in _SET_EQ:
            exact = set(out) == set(exp)
        elif _EP in _NOT_NONE:
            exact = out == exp if isinstance(out, bool) else exp == (out is not None)
    if _DATASET == 'humaneval' and _EP == 'find_zero':
        return abs(_poly(*inp, out)) <= atol, atol
    if atol == 0 and _is_floats(exp):
        atol = 1e-6
    if not exact and atol != 0:
        if type(out) != type(exp):
            return False, atol
        if isinstance(exp, (list, tuple)) and len(out) != len(exp):
            return False, atol
        return _allclose(out, exp, 1e-07, atol), atol
    return bool(exact), atol


def _show(x):
    try:
        r = repr(x)
    except BaseException as e:
        r = '<unprintable %s>' % type(e).__name__
    return r if len(r) <= 200 else r[:200] + '...'


def _expected(fn, inputs):
    outs, times = [], []
    for inp in inputs:
        args = _copy.deepcopy(inp)
        with _quiet():
            t0 = _time.perf_counter()
            out = fn(*args)
            times.append(_time.perf_counter() - t0)
        if _DATASET == 'mbpp' and _EP in _NOT_NONE:
            out = out is not None
        outs.append(out)
    return outs, times


def _check(group, fn, inputs, exp, times):
    limits = [max(_MIN_LIMIT, _FACTOR * t) for t in times]
    cap = min(_TASK_CAP, sum(limits)) + 2
    start = _time.perf_counter()
    atol = _ATOL
    for i, inp in enumerate(inputs):
        left = cap - (_time.perf_counter() - start)
        if left <= 0:
            return 'timeout', '%s input %d: the group time limit (%.1f s) ran out' % (group, i, cap)
        try:
            with _time_limit(min(limits[i], left)):
                with _quiet():
                    out = fn(*inp)
        except _TimeUp:
            if left < limits[i]:
                return 'timeout', '%s input %d: the group time limit (%.1f s) ran out' % (group, i, cap)
            return 'timeout', '%s input %d: time limit %.2f s exceeded (the canonical solution took %.4f s)' % (group, i, limits[i], times[i])
        except BaseException as e:
            return 'failed', '%s input %d: %s: %s' % (group, i, type(e).__name__, _show(e)[:300])
        try:
            ok, atol = _matches(out, exp[i], inp, atol)
        except BaseException as e:
            ok = False
        if not ok:
            return 'failed', 'AssertionError: %s input %d: expected %s, got %s' % (group, i, _show(exp[i]), _show(out))
    return None, ''


def _inputs(data, group):
    xs = data.get(group) or []
    conv = _CONVERT[_CONVERSION] if _CONVERSION else None
    return [conv(x) for x in xs] if conv else xs


_data = _json.loads(_INPUTS_JSON)
_cand_ns = {'__name__': '__dsabench_candidate__'}
with _quiet():
    exec(compile(_CAND_SRC, 'candidate.py', 'exec'), _cand_ns)
if not callable(_cand_ns.get(_EP)):
    _report({'base': False, 'plus': False, 'verdict': 'failed', 'reason': 'NameError: the code does not define %s' % _EP}, 1)
_ref_ns = {'__name__': '__dsabench_reference__'}
with _quiet():
    exec(compile(_REF_SRC, 'reference.py', 'exec'), _ref_ns)

_result = {'base': False, 'plus': False if 'plus' in _GROUPS else None}
for _group in _GROUPS:
    _xs = _inputs(_data, _group)
    _exp, _times = _expected(_ref_ns[_EP], _xs)
    _verdict, _why = _check(_group, _cand_ns[_EP], _xs, _exp, _times)
    if _verdict:
        _result.update(verdict=_verdict, reason=_why)
        _report(_result, 1)
    _result[_group] = True
_result.update(verdict='passed', reason='')
_report(_result, 0)
`;
