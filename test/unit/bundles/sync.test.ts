// What a deploy syncs into the workspace, and the mirror it keeps there.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { filesToSync, syncFiles } from '../../../bundles/sync';
import { WorkspaceTree } from '../../../workspace/tree';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
function tmp(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'djobs-sync-unit-'));
  dirs.push(dir);
  for (const [f, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.writeFileSync(path.join(dir, f), text);
  }
  return dir;
}

describe('sync', () => {
  it('the files Git would keep, plus sync.include, minus sync.exclude, never .git or .databricks', () => {
    const dir = tmp({
      '.gitignore': 'dist/\n*.log\n',
      'src/.gitignore': 'scratch.py\n',
      'databricks.yml': '',
      'src/main.py': '',
      'src/scratch.py': '',
      'src/notes.md': '',
      'dist/p-1.0-py3-none-any.whl': '',
      'run.log': '',
      'keep.log': '',
      '.git/HEAD': '',
      '.databricks/bundle/dev/x.json': '',
    });
    expect(filesToSync(dir, { paths: ['.'], include: ['keep.log'], exclude: ['src/*.md'] })).toEqual([
      '.gitignore',
      'databricks.yml',
      'keep.log',
      'src/.gitignore',
      'src/main.py',
    ]);
  });

  it('mirrors: changed files written, unchanged ones left, removed ones deleted', () => {
    const dir = tmp({ 'a.py': '1', 'sub/b.py': '2' });
    const tree = new WorkspaceTree(tmp({}));
    const target = '/Workspace/Users/alice/.bundle/p/dev/files';
    expect(syncFiles(tree, dir, ['a.py', 'sub/b.py'], target)).toEqual({ uploaded: 2, deleted: 0 });
    fs.writeFileSync(path.join(dir, 'a.py'), '1 changed');
    expect(syncFiles(tree, dir, ['a.py'], target)).toEqual({ uploaded: 1, deleted: 1 });
    const disk = tree.diskPath({ area: 'Workspace', segments: ['Users', 'alice', '.bundle', 'p', 'dev', 'files'] });
    expect(fs.readdirSync(disk)).toEqual(['a.py']);
    expect(fs.readFileSync(path.join(disk, 'a.py'), 'utf8')).toBe('1 changed');
  });
});
