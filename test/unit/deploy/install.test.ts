// What keeps `npm install` quiet on the supported Node line, checked against the lockfile: every
// locked package supports the oldest Node that `engines` allows (no EBADENGINE), every package with
// an install script is declared in allowScripts, and the Dockerfile and @types/node follow `engines`.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '..', '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  engines: { node: string };
  devDependencies: Record<string, string>;
  dependencies: Record<string, string>;
  allowScripts: Record<string, boolean>;
};
const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { version?: string; engines?: { node?: string } | string[]; hasInstallScript?: boolean }>;
};
const nameOf = (p: string) => p.slice(p.lastIndexOf('node_modules/') + 'node_modules/'.length);

/** The lowest Node version a simple engines range (`>=a.b`, `^a.b || >=c`) admits, as [major, minor]. */
function admits(range: string, major: number, minor: number): boolean {
  return range
    .replace(/(>=|<=|>|<|=|\^|~)\s+/g, '$1')
    .split('||')
    .some((part) => {
      const bounds = part.trim().split(/\s+/);
      return bounds.every((b) => {
        const m = /^(>=|>|\^|~|<|<=|=)?v?(\d+)(?:\.(\d+|x|\*))?/.exec(b);
        if (!m || b === '*' || b === '') return true;
        const [maj, min] = [Number(m[2]), m[3] === undefined || /x|\*/.test(m[3]) ? 0 : Number(m[3])];
        const cmp = major !== maj ? major - maj : minor - min;
        switch (m[1]) {
          case '>=':
            return cmp >= 0;
          case '>':
            return cmp > 0;
          case '<':
            return cmp < 0;
          case '<=':
            return cmp <= 0;
          case '^':
            return major === maj && cmp >= 0;
          case '~':
            return major === maj && minor === min;
          default:
            return major === maj && (m[3] === undefined || minor === min);
        }
      });
    });
}

describe('npm install on the supported Node line', () => {
  const [, major, minor] = /^>=(\d+)\.(\d+)$/.exec(pkg.engines.node)!.map(Number) as [number, number, number];

  it('engines names one lowest Node, which the Dockerfile image and @types/node follow', () => {
    expect(major).toBe(20);
    expect(fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8')).toMatch(new RegExp(`^FROM node:${major}-`, 'm'));
    expect(pkg.devDependencies['@types/node']).toMatch(new RegExp(`^\\^${major}\\.`));
  });

  it('every locked package supports that Node (no EBADENGINE warning)', () => {
    const unsupported = Object.entries(lock.packages)
      .filter(([p, info]) => p !== '' && info.engines && !Array.isArray(info.engines) && info.engines.node)
      .filter(([, info]) => !admits((info.engines as { node: string }).node, major, minor))
      .map(([p, info]) => `${nameOf(p)}@${info.version} (node ${(info.engines as { node: string }).node})`);
    expect(unsupported).toEqual([]);
  });

  it('every package with an install script is declared in allowScripts', () => {
    const withScripts = Object.entries(lock.packages)
      .filter(([, info]) => info.hasInstallScript)
      .map(([p]) => nameOf(p));
    expect(withScripts.length).toBeGreaterThan(0);
    expect(withScripts.filter((name) => pkg.allowScripts[name] !== true)).toEqual([]);
  });

  it('no dependency is left unused', () => {
    expect(pkg.dependencies.nanoid).toBeUndefined();
  });
});
