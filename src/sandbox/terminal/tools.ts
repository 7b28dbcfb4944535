/**
 * The Python tooling a task's tests expect, made available to the tests (never to the agent)
 * at /opt/dsabench-tools, read-only, in the sandbox or the container:
 *
 *   boot/sitecustomize.py   on PYTHONPATH: appends site/ to the END of sys.path (the task's own
 *                           packages win), then runs the sitecustomize it shadows, if any
 *   site/                   pytest and what it needs, copied from this machine's Python (pure
 *                           Python, so it runs on the task's interpreter too), plus
 *                           dsabench_ctrf: `--ctrf FILE` (a CTRF JSON report, as the
 *                           pytest-json-ctrf plugin that Harbor tests ask for writes)
 *   bin/                    at the END of PATH: pytest, and offline stand-ins for uv/uvx that
 *                           run the pytest above (`uvx -w pytest==8.4.1 pytest …`,
 *                           `uv run pytest …`; `uv init/add/venv/pip` do nothing)
 *   tb/run-tests.sh         Terminal-Bench's default test runner for tasks without one
 *
 * Tests that download their tooling (apt-get, curl … | sh) cannot do it here: there is no
 * network. Built once per process in a temp dir.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { which } from '../detect.js';

export const TOOLS_DIR = '/opt/dsabench-tools';

const SITECUSTOMIZE = `# dsabench: the tests' tooling goes at the end of sys.path, so the task's own packages win.
def _dsabench_tools():
    import os, sys
    here = os.path.dirname(os.path.abspath(__file__))
    site = os.path.join(os.path.dirname(here), "site")
    if site not in sys.path:
        sys.path.append(site)
    # Run the sitecustomize this one shadows (a distribution's own), if there is one.
    from importlib.machinery import PathFinder
    from importlib.util import module_from_spec
    spec = PathFinder.find_spec("sitecustomize", [p for p in sys.path if os.path.abspath(p or ".") != here])
    if spec is not None and spec.loader is not None:
        spec.loader.exec_module(module_from_spec(spec))
try:
    _dsabench_tools()
except Exception:
    pass
del _dsabench_tools
`;

const CTRF_PLUGIN = `"""--ctrf FILE: a CTRF JSON report of the run (https://ctrf.io), for tests that ask for one.

Stands aside when the pytest-json-ctrf plugin itself is installed.
"""
import importlib.util
import json
import os
import time

_REAL = importlib.util.find_spec("pytest_json_ctrf") is not None

if not _REAL:
    _results = []
    _start = [0]

    def pytest_addoption(parser):
        parser.getgroup("ctrf").addoption("--ctrf", action="store", dest="ctrf", default=None, metavar="FILE",
                                          help="write a CTRF JSON report to FILE")

    def pytest_sessionstart(session):
        _start[0] = int(time.time() * 1000)

    def pytest_runtest_logreport(report):
        if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
            status = {"passed": "passed", "failed": "failed", "skipped": "skipped"}.get(report.outcome, "other")
            _results.append({"name": report.nodeid, "status": status, "duration": int(report.duration * 1000)})
        elif report.when == "teardown" and report.outcome == "failed":
            _results.append({"name": report.nodeid, "status": "failed", "duration": int(report.duration * 1000)})

    def pytest_sessionfinish(session, exitstatus):
        path = session.config.getoption("ctrf", None)
        if not path:
            return
        count = lambda s: sum(1 for r in _results if r["status"] == s)
        report = {"results": {
            "tool": {"name": "pytest"},
            "summary": {"tests": len(_results), "passed": count("passed"), "failed": count("failed"), "pending": 0,
                        "skipped": count("skipped"), "other": count("other"),
                        "start": _start[0], "stop": int(time.time() * 1000)},
            "tests": _results,
        }}
        d = os.path.dirname(path)
        if d:
            os.makedirs(d, exist_ok=True)
        with open(path, "w") as f:
            json.dump(report, f, indent=2)
`;

const PYTEST_SH = `#!/bin/sh
exec python3 -m pytest "$@"
`;

// uvx [options] COMMAND ARGS…: the packages it would fetch are the ones provided here.
const UVX_SH = `#!/bin/sh
while [ $# -gt 0 ]; do
  case "$1" in
    -p|--python|-w|--with|--from|--with-requirements|--with-editable|--index|--index-url|--extra-index-url|--constraint|-c) shift 2 ;;
    --) shift; break ;;
    -*) shift ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] || { echo "uvx (dsabench, offline): no command" >&2; exit 2; }
cmd=$1; shift
case "$cmd" in
  pytest|pytest[=@\\<\\>~]*|py.test) exec python3 -m pytest "$@" ;;
  python|python3) exec python3 "$@" ;;
esac
exec "$cmd" "$@"
`;

const UV_SH = `#!/bin/sh
sub=$1
[ $# -gt 0 ] && shift
case "$sub" in
  run)
    while [ $# -gt 0 ]; do
      case "$1" in
        -p|--python|-w|--with|--project|--directory|--group|--extra|--index-url) shift 2 ;;
        --) shift; break ;;
        -*) shift ;;
        *) break ;;
      esac
    done
    cmd=$1; [ $# -gt 0 ] && shift
    case "$cmd" in
      pytest|py.test) exec python3 -m pytest "$@" ;;
      python|python3) exec python3 "$@" ;;
      "") echo "uv run (dsabench, offline): no command" >&2; exit 2 ;;
    esac
    exec "$cmd" "$@" ;;
  tool)
    [ "$1" = run ] && { shift; exec uvx "$@"; }
    echo "uv tool (dsabench, offline): skipped" >&2; exit 0 ;;
  --version|-V|version) echo "uv (dsabench offline stand-in)"; exit 0 ;;
  *) echo "uv $sub (dsabench, offline): skipped; the tests' tooling is provided" >&2; exit 0 ;;
esac
`;

const TB_RUN_TESTS = `#!/bin/bash
# Terminal-Bench's default for a task without run-tests.sh: pytest on $TEST_DIR/test_outputs.py
# with -rA (the summary its parser reads). Terminal-Bench installs uv and pytest from the
# network first; here they are already provided (no network).
exec python3 -m pytest "$TEST_DIR/test_outputs.py" -rA
`;

/**
 * Copies pytest and its requirements (closure of Requires-Dist, markers ignored so that
 * tomli/exceptiongroup come along for older interpreters) into sys.argv[1]; prints what
 * it copied as JSON. Top-level names come from RECORD, else top_level.txt, else the name.
 */
const COPY_PYTEST = String.raw`
import json, os, re, shutil, sys
from importlib import metadata, util
dest = sys.argv[1]
seen, todo, copied = set(), ["pytest"], []
while todo:
    name = todo.pop()
    key = re.sub(r"[-_.]+", "-", name).lower()
    if key in seen:
        continue
    seen.add(key)
    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        continue
    for req in dist.requires or []:
        if "extra ==" in req:
            continue
        m = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", req)
        if m:
            todo.append(m.group(0))
    tops = set()
    for f in dist.files or []:
        first = f.parts[0]
        if first.endswith((".dist-info", ".egg-info", ".pth")) or first in ("..", "__pycache__") or first.startswith("_distutils"):
            continue
        tops.add(first[:-3] if first.endswith(".py") else first)
    if not tops:
        txt = dist.read_text("top_level.txt")
        tops = set(t.strip() for t in (txt or "").split() if t.strip()) or {name.replace("-", "_")}
    for top in sorted(tops):
        spec = util.find_spec(top)
        if spec is None or not spec.origin or spec.origin in ("built-in", "frozen"):
            continue
        src = os.path.dirname(spec.origin) if spec.submodule_search_locations else spec.origin
        if not os.path.exists(src):
            continue
        out = os.path.join(dest, os.path.basename(src))
        if os.path.isdir(src):
            shutil.copytree(src, out, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(src, out)
        copied.append(os.path.basename(src))
    # The distribution's metadata too, so importlib.metadata (pytest's plugin loading) sees it.
    info = getattr(dist, "_path", None)
    if info is not None and os.path.isdir(str(info)):
        shutil.copytree(str(info), os.path.join(dest, os.path.basename(str(info))), dirs_exist_ok=True)
print(json.dumps(sorted(set(copied))))
`;

export interface TestTools {
  /** Host dir to mount (sandbox) or copy (container) at TOOLS_DIR. */
  dir: string;
  /** Packages copied from this machine's Python ([] when it has no pytest). */
  packages: string[];
  /** Which Python they came from. */
  python: string | null;
}

let built: TestTools | undefined;

function write(file: string, text: string, exec = false): void {
  writeFileSync(file, text);
  if (exec) chmodSync(file, 0o755);
}

/** Candidate Pythons for pytest: the system's first (the sandbox sees /usr), then PATH's. */
function pythons(): string[] {
  const out: string[] = [];
  for (const p of ['/usr/bin/python3', which('python3')]) if (p && existsSync(p) && !out.includes(p)) out.push(p);
  return out;
}

export function testTools(): TestTools {
  if (built && existsSync(built.dir)) return built;
  const dir = mkdtempSync(join(tmpdir(), 'dsabench-tools-'));
  for (const d of ['boot', 'site', 'bin', 'tb']) mkdirSync(join(dir, d));
  write(join(dir, 'boot', 'sitecustomize.py'), SITECUSTOMIZE);
  write(join(dir, 'site', 'dsabench_ctrf.py'), CTRF_PLUGIN);
  // An entry point, so pytest loads the plugin wherever site/ is on the path, and only there.
  const info = join(dir, 'site', 'dsabench_ctrf-1.0.dist-info');
  mkdirSync(info);
  write(join(info, 'METADATA'), 'Metadata-Version: 2.1\nName: dsabench-ctrf\nVersion: 1.0\n');
  write(join(info, 'entry_points.txt'), '[pytest11]\ndsabench_ctrf = dsabench_ctrf\n');
  write(join(dir, 'bin', 'pytest'), PYTEST_SH, true);
  write(join(dir, 'bin', 'py.test'), PYTEST_SH, true);
  write(join(dir, 'bin', 'uvx'), UVX_SH, true);
  write(join(dir, 'bin', 'uv'), UV_SH, true);
  write(join(dir, 'tb', 'run-tests.sh'), TB_RUN_TESTS, true);
  let packages: string[] = [];
  let python: string | null = null;
  for (const py of pythons()) {
    const r = spawnSync(py, ['-c', COPY_PYTEST, join(dir, 'site')], { encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) continue;
    try {
      const got = JSON.parse(r.stdout.trim().split('\n').pop() ?? '[]') as string[];
      if (got.includes('pytest') || got.includes('_pytest')) {
        packages = got;
        python = py;
        break;
      }
    } catch {
      // try the next Python
    }
  }
  // Compiled once here, so each test run does not compile pytest again (an interpreter of
  // another version ignores these and compiles for itself).
  if (python) spawnSync(python, ['-m', 'compileall', '-q', '--invalidation-mode', 'unchecked-hash', join(dir, 'site')], { timeout: 120_000 });
  // Readable by the sandbox's uid and the container's users.
  spawnSync('chmod', ['-R', 'a+rX', dir]);
  chmodSync(dir, 0o755);
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  built = { dir, packages, python };
  return built;
}

/** The environment a test run gets on top of its own: tools at the end of PATH, the boot dir on PYTHONPATH. */
export function toolsEnv(path: string, pythonPath?: string): Record<string, string> {
  return {
    PATH: `${path}:${TOOLS_DIR}/bin`,
    PYTHONPATH: pythonPath ? `${pythonPath}:${TOOLS_DIR}/boot` : `${TOOLS_DIR}/boot`,
  };
}

/** Copy the tools into `stage`/opt/dsabench-tools (a container gets them with the tests). */
export function stageTools(stage: string): void {
  const t = testTools();
  const to = join(stage, TOOLS_DIR.slice(1));
  mkdirSync(to, { recursive: true });
  cpSync(t.dir, to, { recursive: true });
}
