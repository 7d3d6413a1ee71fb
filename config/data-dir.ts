// DJOBS_HOME is its owner's alone: the directory mode 0700, what is in it 0600 (its top-level
// files and directories made so when a command opens it, for data directories made before), and a
// umask of 077 for the process and the servers it starts (Temporal's database and log, MLflow's),
// so that what they write later is too. Tasks get a umask of their own (022).
import fs from 'node:fs';
import path from 'node:path';

export function protectDataDir(home: string): void {
  fs.mkdirSync(home, { recursive: true, mode: 0o700 });
  fs.chmodSync(home, 0o700);
  process.umask(0o077);
  for (const entry of fs.readdirSync(home, { withFileTypes: true })) {
    if (entry.isSymbolicLink()) continue;
    const file = path.join(home, entry.name);
    const mode = fs.statSync(file).mode & 0o7777;
    const wanted = entry.isDirectory() ? mode & 0o7700 : mode & 0o7600;
    if (mode !== wanted) fs.chmodSync(file, wanted);
  }
}
