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
