import { describe, expect, it } from 'vitest';
import {
  accessControlListProblems,
  allows,
  effectiveLevel,
  jobViewerKeywords,
  replaceAccess,
  updateAccess,
  viewerKeywordsOf,
  type JobAccess,
  type PermissionLevel,
  type Principal,
} from '../../../../core';

const user = (name: string, groups: string[] = [], admin = false): Principal => ({ name, kind: 'user', groups, admin });
const sp = (name: string): Principal => ({ name, kind: 'service_principal', groups: [], admin: false });

const access: JobAccess = {
  owner: { user_name: 'alice' },
  grants: [
    { user_name: 'bob', permission_level: 'CAN_VIEW' },
    { user_name: 'bob', permission_level: 'CAN_MANAGE_RUN' },
    { group_name: 'ops', permission_level: 'CAN_MANAGE' },
    { service_principal_name: 'bot', permission_level: 'CAN_MANAGE_RUN' },
    { group_name: 'users', permission_level: 'CAN_VIEW' },
  ],
};

describe('effectiveLevel', () => {
  it.each<[string, Principal, PermissionLevel | undefined]>([
    ['the owner', user('alice'), 'IS_OWNER'],
    ['the strongest of several direct grants', user('bob'), 'CAN_MANAGE_RUN'],
    ['a grant through a group', user('dave', ['ops']), 'CAN_MANAGE'],
    ['a service principal grant', sp('bot'), 'CAN_MANAGE_RUN'],
    ['a user named like a service principal gets only the all-users grant', user('bot'), 'CAN_VIEW'],
    ['the all-users group', user('zed'), 'CAN_VIEW'],
    ['an admin', user('root', ['admins'], true), 'CAN_MANAGE'],
  ])('%s', (_what, who, level) => {
    expect(effectiveLevel(who, access)).toBe(level);
  });

  it('no access record: nobody but admins', () => {
    expect(effectiveLevel(user('alice'), undefined)).toBeUndefined();
    expect(effectiveLevel(user('root', [], true), undefined)).toBe('CAN_MANAGE');
  });

  it.each<[PermissionLevel | undefined, PermissionLevel, boolean]>([
    ['CAN_VIEW', 'CAN_VIEW', true],
    ['CAN_VIEW', 'CAN_MANAGE_RUN', false],
    ['CAN_MANAGE_RUN', 'CAN_VIEW', true],
    ['CAN_MANAGE_RUN', 'CAN_MANAGE', false],
    ['CAN_MANAGE', 'CAN_MANAGE_RUN', true],
    ['CAN_MANAGE', 'IS_OWNER', false],
    ['IS_OWNER', 'CAN_MANAGE', true],
    [undefined, 'CAN_VIEW', false],
  ])('%s allows %s: %s', (held, needed, ok) => {
    expect(allows(held, needed)).toBe(ok);
  });
});

describe('changing access', () => {
  const base: JobAccess = {
    owner: { user_name: 'alice' },
    grants: [{ user_name: 'bob', permission_level: 'CAN_VIEW' }],
  };

  it('update (PATCH) adds and changes grants and keeps the rest', () => {
    expect(
      updateAccess(base, [
        { user_name: 'bob', permission_level: 'CAN_MANAGE' },
        { group_name: 'ops', permission_level: 'CAN_VIEW' },
      ])
    ).toEqual({
      owner: { user_name: 'alice' },
      grants: [
        { user_name: 'bob', permission_level: 'CAN_MANAGE' },
        { group_name: 'ops', permission_level: 'CAN_VIEW' },
      ],
    });
  });

  it('replace (PUT) drops every grant not named; an empty list leaves only the owner', () => {
    expect(replaceAccess(base, [{ group_name: 'ops', permission_level: 'CAN_VIEW' }])).toEqual({
      owner: { user_name: 'alice' },
      grants: [{ group_name: 'ops', permission_level: 'CAN_VIEW' }],
    });
    expect(replaceAccess(base, [])).toEqual({ owner: { user_name: 'alice' }, grants: [] });
  });

  it('an IS_OWNER entry moves ownership, and the new owner holds no separate grant', () => {
    expect(updateAccess(base, [{ service_principal_name: 'bot', permission_level: 'IS_OWNER' }])).toEqual({
      owner: { service_principal_name: 'bot' },
      grants: [{ user_name: 'bob', permission_level: 'CAN_VIEW' }],
    });
    expect(updateAccess(base, [{ user_name: 'bob', permission_level: 'IS_OWNER' }])).toEqual({
      owner: { user_name: 'bob' },
      grants: [],
    });
  });
});

describe('accessControlListProblems', () => {
  it('accepts a well-formed list and an absent one', () => {
    expect(accessControlListProblems(undefined)).toEqual([]);
    expect(accessControlListProblems([{ group_name: 'ops', permission_level: 'CAN_VIEW' }])).toEqual([]);
  });

  it('reports every problem with its path', () => {
    expect(
      accessControlListProblems([
        { permission_level: 'CAN_VIEW' },
        { user_name: '', permission_level: 'CAN_VIEW' },
        { user_name: 'a', permission_level: 'IS_OWNER', role: 'x' },
        { user_name: 'b', permission_level: 'IS_OWNER' },
        'bob',
      ])
    ).toEqual([
      'access_control_list[0]: expected exactly one of user_name, group_name, service_principal_name, found none',
      'access_control_list[1].user_name: expected a non-empty string',
      'access_control_list[2]: unknown field role',
      'access_control_list[4]: expected an object',
      'access_control_list: a job has exactly one owner, found 2 IS_OWNER entries',
    ]);
    expect(accessControlListProblems({})).toEqual(['access_control_list: expected an array, found object']);
  });
});

describe('viewer keywords (the server-side filter of jobs/list)', () => {
  const accesses: JobAccess[] = [
    access,
    { owner: { service_principal_name: 'etl-bot' }, grants: [] },
    { owner: { user_name: 'etl-bot' }, grants: [{ group_name: 'users', permission_level: 'CAN_VIEW' }] },
    {
      owner: { user_name: 'alice' },
      grants: [
        { service_principal_name: 'bob', permission_level: 'CAN_MANAGE' },
        { group_name: 'ops', permission_level: 'CAN_MANAGE_RUN' },
      ],
    },
  ];
  const principals = [
    user('alice'),
    user('bob'),
    user('carol', ['ops']),
    user('etl-bot'),
    sp('etl-bot'),
    sp('bob'),
    user('dave', ['other']),
  ];
  it.each(accesses.flatMap((a, i) => principals.map((p) => [i, p] as const)))(
    'access #%i, %o: keywords meet exactly when the principal holds a level',
    (i, p) => {
      const job = accesses[i]!;
      const mine = new Set(viewerKeywordsOf(p));
      const meet = jobViewerKeywords(job).some((k) => mine.has(k));
      expect(meet).toBe(effectiveLevel(p, job) !== undefined);
    }
  );

  it('names owner and grants by kind', () => {
    expect(jobViewerKeywords(accesses[3]!)).toEqual(['user:alice', 'service_principal:bob', 'group:ops']);
    expect(viewerKeywordsOf(user('carol', ['ops']))).toEqual(['user:carol', 'group:users', 'group:ops']);
  });
});
