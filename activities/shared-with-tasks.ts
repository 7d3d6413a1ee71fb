// What a worker writes for its tasks to read (a task environment, a Git checkout) must be readable
// by every uid, since sandboxed tasks run as their principal's uid: the worker's own umask (077,
// as DJOBS_HOME is private) would leave it its alone. Tasks reach it only through their view,
// which shows it (read-only) to the attempts that use it; DJOBS_HOME itself stays 0700.
import fs from 'node:fs';
import path from 'node:path';

/**
 * Adds read for everyone to every file and directory under `root`, and execute (search) where the
 * owner has it and to directories; with `readOnly`, takes every write bit away too. Symbolic links
 * are neither changed nor followed (a venv's python links to the machine's interpreter).
 */
export async function shareWithTasks(root: string, opts: { readOnly?: boolean } = {}): Promise<void> {
  const visit = async (p: string): Promise<void> => {
    const st = await fs.promises.lstat(p);
    if (st.isSymbolicLink()) return;
    const dir = st.isDirectory();
    if (dir) for (const name of await fs.promises.readdir(p)) await visit(path.join(p, name));
    const mode = st.mode & 0o7777;
    let wanted = mode | 0o444 | (dir || mode & 0o100 ? 0o111 : 0);
    if (opts.readOnly) wanted &= ~0o222;
    if (wanted !== mode) await fs.promises.chmod(p, wanted);
  };
  await visit(root);
}
