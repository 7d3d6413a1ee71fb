// Running a command as a user would and keeping its exit code and output (djobs CLI tests).
import { execFile } from 'node:child_process';

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `file args` with `env` (the whole environment) until it exits or `timeoutMs` passes. */
export function run(file: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 90_000): Promise<Result> {
  return new Promise((resolve) => {
    execFile(file, args, { env, timeout: timeoutMs }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}
