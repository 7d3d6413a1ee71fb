import { describe, expect, it } from 'vitest';
import { containmentChoice, ownCgroupDir } from '../../../activities/containment';

const hybrid = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw`;

describe('ownCgroupDir', () => {
  it('finds the cgroup2 mount wherever it is (hybrid hierarchy) and joins the process cgroup', () => {
    expect(ownCgroupDir(hybrid, '4:memory:/x\n0::/user.slice/w.service\n')).toBe(
      '/sys/fs/cgroup/unified/user.slice/w.service'
    );
    expect(ownCgroupDir(hybrid, '0::/\n')).toBe('/sys/fs/cgroup/unified');
  });

  it('takes the path relative to the root of the mount (cgroup namespace, bind mount)', () => {
    const ns = '50 40 0:26 /docker/abc /sys/fs/cgroup rw,nosuid shared:5 - cgroup2 cgroup2 rw';
    expect(ownCgroupDir(ns, '0::/docker/abc/task\n')).toBe('/sys/fs/cgroup/task');
    expect(ownCgroupDir(ns, '0::/other\n')).toBeUndefined();
  });

  it('unescapes mount points and is undefined without a cgroup2 mount or a 0:: line', () => {
    const spaced = '41 31 0:38 / /mnt/cg\\040two rw - cgroup2 cgroup2 rw';
    expect(ownCgroupDir(spaced, '0::/a\n')).toBe('/mnt/cg two/a');
    expect(ownCgroupDir(hybrid.split('\n')[1]!, '0::/a\n')).toBeUndefined();
    expect(ownCgroupDir(hybrid, '4:memory:/x\n')).toBeUndefined();
  });
});

describe('containmentChoice', () => {
  it('reads DJOBS_CONTAINMENT', () => {
    expect(containmentChoice(undefined)).toBe('auto');
    expect(containmentChoice('subreaper')).toBe('subreaper');
    expect(() => containmentChoice('jail')).toThrow('DJOBS_CONTAINMENT must be auto, cgroup or subreaper, not "jail".');
  });
});
