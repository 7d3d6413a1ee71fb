// Where a task attempt's processes are contained. Preferred: a cgroup v2 per attempt, killed at
// once through cgroup.kill (Linux 5.14+), when the worker may create one under its own cgroup.
// Otherwise the attempt's supervisor (runtime/supervisor.py, a child subreaper) finds and kills
// the stragglers itself. Both run under the supervisor, which also kills the tree when the worker
// dies. DJOBS_CONTAINMENT=cgroup|subreaper forces a mechanism (auto by default).
import fs from 'node:fs';
import path from 'node:path';

export type ContainmentMechanism = 'cgroup' | 'subreaper';
export type ContainmentChoice = ContainmentMechanism | 'auto';

export interface Containment {
  mechanism: ContainmentMechanism;
  /** The attempt's cgroup directory (mechanism `cgroup`). */
  cgroup?: string;
}

export function containmentChoice(value = process.env.DJOBS_CONTAINMENT): ContainmentChoice {
  if (value === undefined || value === '' || value === 'auto') return 'auto';
  if (value === 'cgroup' || value === 'subreaper') return value;
  throw new Error(`DJOBS_CONTAINMENT must be auto, cgroup or subreaper, not "${value}".`);
}

/**
 * The cgroup v2 directory of this process: the cgroup2 mount from /proc/self/mountinfo joined with
 * the "0::" line of /proc/self/cgroup (relative to the mount's root, which differs in a cgroup
 * namespace). Undefined when no cgroup2 hierarchy is mounted.
 */
export function ownCgroupDir(mountinfo: string, procCgroup: string): string | undefined {
  const own = procCgroup.split('\n').find((l) => l.startsWith('0::'));
  if (own === undefined) return undefined;
  const ownPath = own.slice(3);
  for (const line of mountinfo.split('\n')) {
    // "id parent major:minor root mountpoint options [optional...] - fstype source superoptions"
    const [pre, post] = line.split(' - ');
    if (!pre || !post || post.split(' ')[0] !== 'cgroup2') continue;
    const [, , , root, mountPoint] = pre.split(' ');
    if (!root || !mountPoint) continue;
    const rel = path.posix.relative(unescapeMountinfo(root), ownPath);
    if (rel.startsWith('..')) continue;
    return path.join(unescapeMountinfo(mountPoint), rel);
  }
  return undefined;
}

/** mountinfo escapes space, tab, newline and backslash as octal (\040). */
function unescapeMountinfo(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

let attemptsDir: string | null | undefined;

/** `<own cgroup>/djobs-attempts`, made once; null when this worker cannot create cgroups there. */
function cgroupAttemptsDir(): string | null {
  if (attemptsDir !== undefined) return attemptsDir;
  attemptsDir = null;
  try {
    const own = ownCgroupDir(
      fs.readFileSync('/proc/self/mountinfo', 'utf8'),
      fs.readFileSync('/proc/self/cgroup', 'utf8')
    );
    if (own === undefined) return null;
    const dir = path.join(own, 'djobs-attempts');
    fs.mkdirSync(dir, { recursive: true });
    if (!fs.existsSync(path.join(dir, 'cgroup.kill'))) return null; // before Linux 5.14
    attemptsDir = dir;
  } catch {
    // read-only cgroupfs, no permission: the subreaper supervisor contains the attempt
  }
  return attemptsDir;
}

/** The container of a new attempt; `name` must be unique among the worker's running attempts. */
export function createContainment(name: string, choice: ContainmentChoice = containmentChoice()): Containment {
  if (choice !== 'subreaper') {
    const dir = cgroupAttemptsDir();
    if (dir !== null) {
      const cgroup = path.join(dir, name);
      try {
        fs.mkdirSync(cgroup);
        return { mechanism: 'cgroup', cgroup };
      } catch (err) {
        if (choice === 'cgroup') throw err;
      }
    } else if (choice === 'cgroup') {
      throw new Error('DJOBS_CONTAINMENT=cgroup, but this worker cannot create a cgroup v2 with cgroup.kill.');
    }
  }
  return { mechanism: 'subreaper' };
}

/** Kill every process of the cgroup at once (also those of an attempt whose supervisor was lost). */
export function killCgroup(cgroup: string): void {
  try {
    fs.writeFileSync(path.join(cgroup, 'cgroup.kill'), '1');
  } catch {
    // already removed
  }
}

export function cgroupPopulated(cgroup: string): boolean {
  try {
    return /^populated 1$/m.test(fs.readFileSync(path.join(cgroup, 'cgroup.events'), 'utf8'));
  } catch {
    return false;
  }
}

/** Remove an emptied cgroup; a cgroup still populated stays (rmdir fails) and is retried later. */
export function removeCgroup(cgroup: string): void {
  try {
    fs.rmdirSync(cgroup);
  } catch {
    // still populated or already gone
  }
}
