// Which Python binary runs task attempts and their supervisors. DJOBS_PYTHON (or the MLflow venv's
// python, or python3) is often a version manager's shim: pyenv's and asdf's are shell scripts that
// pick an interpreter on every start (~100 ms on a 2-core machine). The worker asks it once for
// `sys.executable` and runs that for the rest of its life. A venv's python stays the venv's.
import { execFile } from 'node:child_process';

const resolved = new Map<string, Promise<string>>();

/**
 * The real interpreter behind `python`, asked once per worker. When asking fails, `python` itself:
 * starting it then reports what is wrong, in the attempt's log.
 */
export function realPython(python: string): Promise<string> {
  let found = resolved.get(python);
  if (found === undefined) {
    found = new Promise((resolve) => {
      // -I -S: no site, no user paths, nothing from the environment but what picks the interpreter.
      execFile(python, ['-I', '-S', '-c', 'import sys; print(sys.executable)'], { timeout: 30_000 }, (err, out) => {
        resolve((err ? '' : String(out).trim()) || python);
      });
    });
    resolved.set(python, found);
  }
  return found;
}
