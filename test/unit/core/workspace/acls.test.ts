import { describe, expect, it } from 'vitest';
import {
  changeGrants,
  objectIdOf,
  toWorkspacePermissions,
  workspaceAclProblems,
  workspaceLevel,
  workspaceReach,
  workspaceVisible,
  type Principal,
  type WorkspaceGrants,
} from '../../../../core';

const user = (name: string, groups: string[] = []): Principal => ({ name, kind: 'user', groups, admin: false });
const alice = user('alice');
const bob = user('bob', ['analysts']);
const root: Principal = { name: 'root', kind: 'user', groups: ['admins'], admin: true };
const grants: WorkspaceGrants = {
  '/Users/alice/shared': [{ user_name: 'bob', permission_level: 'CAN_READ' }],
  '/Users/alice/shared/edit': [{ group_name: 'analysts', permission_level: 'CAN_EDIT' }],
  '/Projects': [{ group_name: 'users', permission_level: 'CAN_RUN' }],
};
const at = (p: string) => p.split('/').filter(Boolean);

describe('workspace permissions', () => {
  it.each([
    [alice, '/Users/alice/etl', 'CAN_MANAGE'],
    [alice, '/Shared/x', 'CAN_MANAGE'],
    [bob, '/Users/alice/etl', undefined],
    [bob, '/Users/alice/shared/nb', 'CAN_READ'],
    [bob, '/Users/alice/shared/edit/nb', 'CAN_EDIT'],
    [bob, '/Projects/a/b', 'CAN_RUN'],
    [bob, '/Users', undefined],
    [root, '/Users/alice/etl', 'CAN_MANAGE'],
  ] as const)('%o on %s holds %s', (who, p, level) => {
    expect(workspaceLevel(who, at(p), grants)).toBe(level);
  });

  it('what may be seen: a level, the way to a shared object, and the browsable folders', () => {
    expect(workspaceVisible(bob, at('/Users/alice'), grants)).toBe(true);
    expect(workspaceVisible(bob, at('/Users/alice/etl'), grants)).toBe(false);
    expect(workspaceVisible(bob, at('/Users/carol'), grants)).toBe(false);
    expect(workspaceVisible(bob, at('/Users'), grants)).toBe(true);
    expect(workspaceVisible(bob, [], grants)).toBe(true);
  });

  it('a reach lists the home, /Shared and every grant that applies', () => {
    expect(workspaceReach(bob, grants)).toEqual([
      { path: '/Projects', level: 'CAN_RUN' },
      { path: '/Shared', level: 'CAN_MANAGE' },
      { path: '/Users/alice/shared', level: 'CAN_READ' },
      { path: '/Users/alice/shared/edit', level: 'CAN_EDIT' },
      { path: '/Users/bob', level: 'CAN_MANAGE' },
    ]);
    expect(workspaceReach(root, grants)).toEqual([{ path: '/', level: 'CAN_MANAGE' }]);
  });

  it('PATCH adds to the direct grants, PUT replaces them; problems come with their path', () => {
    const current = [{ user_name: 'bob', permission_level: 'CAN_READ' as const }];
    expect(changeGrants(current, [{ user_name: 'bob', permission_level: 'CAN_EDIT' }], false)).toEqual([
      { user_name: 'bob', permission_level: 'CAN_EDIT' },
    ]);
    expect(changeGrants(current, [{ group_name: 'g', permission_level: 'CAN_RUN' }], false)).toHaveLength(2);
    expect(changeGrants(current, [{ group_name: 'g', permission_level: 'CAN_RUN' }], true)).toEqual([
      { group_name: 'g', permission_level: 'CAN_RUN' },
    ]);
    expect(
      workspaceAclProblems([{ user_name: 'bob', permission_level: 'CAN_VIEW' }, { permission_level: 'CAN_READ' }])
    ).toEqual([
      'access_control_list[0].permission_level: expected one of CAN_READ, CAN_RUN, CAN_EDIT, CAN_MANAGE, found "CAN_VIEW"',
      'access_control_list[1]: expected exactly one of user_name, group_name, service_principal_name',
    ]);
  });

  it('the permissions body lists direct grants, then inherited ones with where they come from', () => {
    const body = toWorkspacePermissions('notebook', 7, at('/Users/alice/shared/nb'), grants, objectIdOf);
    expect(body.object_id).toBe('/notebooks/7');
    expect(body.access_control_list).toEqual([
      {
        user_name: 'bob',
        all_permissions: [
          {
            permission_level: 'CAN_READ',
            inherited: true,
            inherited_from_object: [`/directories/${objectIdOf(at('/Users/alice/shared'))}`],
          },
        ],
      },
      {
        user_name: 'alice',
        all_permissions: [
          {
            permission_level: 'CAN_MANAGE',
            inherited: true,
            inherited_from_object: [`/directories/${objectIdOf(at('/Users/alice'))}`],
          },
        ],
      },
      {
        group_name: 'admins',
        all_permissions: [
          { permission_level: 'CAN_MANAGE', inherited: true, inherited_from_object: ['/directories/0'] },
        ],
      },
    ]);
  });
});
