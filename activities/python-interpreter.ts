// Which Python binary runs task attempts and their supervisors. DJOBS_PYTHON (or the MLflow venv's
// python, or python3) is often a version manager's shim: pyenv's and asdf's are shell scripts that
// pick an interpreter on every start (~100 ms on a 2-core machine). The worker asks it once for
// `sys.executable` (and where its installation lives, which sandboxed tasks see read-only) and
// runs that for the rest of its life. A venv's python stays the venv's.
import { execFile } from 'node:child_process';

export interface PythonInstall {
  /** The real interpreter. */
  executable: string;
  /** sys.prefix, sys.exec_prefix and their base_ forms (a venv's and the Python it was made from). */
  prefixes: string[];
}

const resolved = new Map<string, Promise<PythonInstall>>();

const QUERY =
  'import json, sys; print(json.dumps({"executable": sys.executable, "prefixes": sorted({sys.prefix, sys.exec_prefix, sys.base_prefix, sys.base_exec_prefix})}))';

/**
 * The installation behind `python`, asked once per worker. When asking fails, `python` itself and
 * no prefix: starting it then reports what is wrong, in the attempt's log.
 */
export function pythonInstall(python: string): Promise<PythonInstall> {
  let found = resolved.get(python);
  if (found === undefined) {
    found = new Promise((resolve) => {
      // -I: no user paths, nothing from the environment but what picks the interpreter. Not -S:
      // it is `site` that makes a venv's own directory sys.prefix (without it, sys.prefix is the
      // base installation's, and a sandboxed task would see none of the venv's site-packages).
      execFile(python, ['-I', '-c', QUERY], { timeout: 30_000 }, (err, out) => {
        try {
          const info = (err ? {} : JSON.parse(String(out))) as Partial<PythonInstall>;
          resolve({ executable: info.executable || python, prefixes: (info.prefixes ?? []).filter(Boolean) });
        } catch {
          resolve({ executable: python, prefixes: [] });
        }
      });
    });
    resolved.set(python, found);
  }
  return found;
}

/** The real interpreter behind `python` (pythonInstall's executable). */
export async function realPython(python: string): Promise<string> {
  return (await pythonInstall(python)).executable;
}
