// Where the project is, and the tools installed inside it (`.tools/`, made by scripts/ensure-*.cjs).
import fs from 'node:fs';
import path from 'node:path';

let cached: string | undefined;

/** The repository root (the directory of durable-jobs' package.json), from sources or dist/. */
export function projectRoot(): string {
  if (cached) return cached;
  let dir = __dirname;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string }).name === 'durable-jobs') {
      cached = dir;
      return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find the durable-jobs project root above ${__dirname}`);
    dir = parent;
  }
}

/**
 * The Python of the project-local MLflow environment (MLflow and scikit-learn from PyPI, made by
 * scripts/ensure-mlflow.cjs; keep the version in step with that script) when it is installed,
 * else undefined. Python tasks run with it by default (DJOBS_PYTHON).
 */
export function installedMlflowPython(): string | undefined {
  const venv = path.join(projectRoot(), '.tools', 'mlflow-3.17.2');
  return fs.existsSync(path.join(venv, '.djobs-installed')) ? path.join(venv, 'bin', 'python') : undefined;
}
