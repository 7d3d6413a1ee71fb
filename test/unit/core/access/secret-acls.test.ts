import { describe, expect, it } from 'vitest';
import {
  scopeNameProblem,
  secretAllows,
  secretKeyProblem,
  secretPermissionOf,
  type Principal,
  type SecretAcl,
} from '../../../../core';

const alice: Principal = { name: 'alice', kind: 'user', groups: ['data-eng'], admin: false };
const admin: Principal = { name: 'root', kind: 'user', groups: ['admins'], admin: true };

describe('secret scope ACLs', () => {
  it.each<[string, SecretAcl[], Principal, string | undefined]>([
    ['no grant', [], alice, undefined],
    ['a direct grant', [{ principal: 'alice', permission: 'WRITE' }], alice, 'WRITE'],
    ['a group grant', [{ principal: 'data-eng', permission: 'READ' }], alice, 'READ'],
    ['the users group', [{ principal: 'users', permission: 'READ' }], alice, 'READ'],
    [
      'the strongest of several',
      [
        { principal: 'users', permission: 'READ' },
        { principal: 'data-eng', permission: 'MANAGE' },
        { principal: 'alice', permission: 'WRITE' },
      ],
      alice,
      'MANAGE',
    ],
    ['another principal’s grant', [{ principal: 'bob', permission: 'MANAGE' }], alice, undefined],
    ['an admin, without grants', [], admin, 'MANAGE'],
  ])('%s', (_what, acls, who, expected) => {
    expect(secretPermissionOf(acls, who)).toBe(expected);
  });

  it('orders READ < WRITE < MANAGE', () => {
    expect([secretAllows('READ', 'READ'), secretAllows('READ', 'WRITE'), secretAllows('MANAGE', 'WRITE')]).toEqual([
      true,
      false,
      true,
    ]);
    expect(secretAllows(undefined, 'READ')).toBe(false);
  });

  it('validates scope and key names as Databricks does', () => {
    expect(scopeNameProblem('prod.db@team-1_x')).toBeUndefined();
    expect(scopeNameProblem('has space')).toBe(
      `Invalid scope name "has space": expected 1-128 letters, digits, '-', '_', '.' or '@'.`
    );
    expect(secretKeyProblem('a@b')).toBe(`Invalid secret key "a@b": expected 1-128 letters, digits, '-', '_' or '.'.`);
  });
});
