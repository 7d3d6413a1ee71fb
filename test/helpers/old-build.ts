// A build of an older commit of this repository, for the rolling-upgrade test: its source taken
// with `git archive` (no worktree to register or clean up), this tree's node_modules and .tools
// linked in (the commit must have the same package-lock.json), compiled with tsc and its workflow
// bundle built, as `npm run build` does without the web UI, which a worker does not serve.
// Cached by commit under the OS temp directory: a commit's build never changes, and the second
// run of the test skips the half minute of compiling.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');

/** The `djobs` CLI (dist/cli/index.js) of `commit`'s build, built on first use. */
export function oldBuildCli(commit: string): string {
  let sha: string;
  try {
    sha = execFileSync('git', ['-C', root, 'rev-parse', '--verify', '--quiet', `${commit}^{commit}`], {
      encoding: 'utf8',
    }).trim();
  } catch {
    throw new Error(
      `commit ${commit} is not in this clone: the rolling-upgrade test needs the history (not a shallow clone)`
    );
  }
  const dir = path.join(os.tmpdir(), `djobs-build-${sha}`);
  const cli = path.join(dir, 'dist', 'cli', 'index.js');
  if (fs.existsSync(path.join(dir, '.built'))) return cli;
  const lock = (c: string) => execFileSync('git', ['-C', root, 'show', `${c}:package-lock.json`], { encoding: 'utf8' });
  if (lock(sha) !== fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8'))
    throw new Error(`${commit} has another package-lock.json than this tree: its build cannot share node_modules`);
  const staging = fs.mkdtempSync(path.join(os.tmpdir(), `djobs-build-${sha.slice(0, 12)}-`));
  execFileSync('sh', ['-c', `git -C "${root}" archive ${sha} | tar -x -C "${staging}"`]);
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(staging, 'node_modules'));
  const tools = path.join(root, '.tools');
  if (fs.existsSync(tools)) fs.symlinkSync(fs.realpathSync(tools), path.join(staging, '.tools'));
  const run = (args: string[]) =>
    execFileSync(process.execPath, args, { cwd: staging, stdio: ['ignore', 'ignore', 'inherit'] });
  run([path.join('node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json']);
  run([path.join('dist', 'scripts', 'build-workflow-bundle.js')]);
  fs.writeFileSync(path.join(staging, '.built'), `${sha}\n`);
  try {
    fs.renameSync(staging, dir);
  } catch {
    // Another test process finished the same build first: use its copy.
    fs.rmSync(staging, { recursive: true, force: true });
  }
  return cli;
}
