// Roles on a service principal as its rule set grants them, the rule set's name, its etag, and the
// update body's problems, each with its JSON path. Pure.
import { describe, expect, it } from 'vitest';
import {
  SERVICE_PRINCIPAL_ROLES,
  holdsRole,
  parseUpdateRuleSet,
  ruleSetEtag,
  servicePrincipalOfRuleSet,
  versionOfEtag,
  type GrantRule,
  type Principal,
} from '../../../../core';

const { USER, MANAGER } = SERVICE_PRINCIPAL_ROLES;
const alice: Principal = { name: 'alice@example.com', kind: 'user', groups: ['data-eng'], admin: false };
const bob: Principal = { name: 'bob@example.com', kind: 'user', groups: [], admin: false };
const bot: Principal = { name: 'ci-bot', kind: 'service_principal', groups: [], admin: false };

describe('holdsRole', () => {
  const cases: [string, GrantRule[], Principal, boolean][] = [
    ['named', [{ role: USER, principals: ['users/alice@example.com'] }], alice, true],
    ['another user named', [{ role: USER, principals: ['users/alice@example.com'] }], bob, false],
    ['through a group', [{ role: USER, principals: ['groups/data-eng'] }], alice, true],
    ['everyone (groups/users)', [{ role: USER, principals: ['groups/users'] }], bob, true],
    ['a service principal', [{ role: USER, principals: ['servicePrincipals/ci-bot'] }], bot, true],
    ['a user of a service principal’s name', [{ role: USER, principals: ['users/ci-bot'] }], bot, false],
    [
      'the manager role is not the user role',
      [{ role: MANAGER, principals: ['users/alice@example.com'] }],
      alice,
      false,
    ],
    ['no principals', [{ role: USER }], alice, false],
  ];
  it.each(cases)('%s', (_, rules, who, holds) => expect(holdsRole(rules, who, USER)).toBe(holds));
});

describe('rule set names and etags', () => {
  it('names a service principal’s default rule set only', () => {
    expect(servicePrincipalOfRuleSet('accounts/a1/servicePrincipals/etl-bot/ruleSets/default')).toEqual({
      servicePrincipal: 'etl-bot',
    });
    expect(servicePrincipalOfRuleSet('accounts/a1/groups/g/ruleSets/default')).toEqual({
      problem:
        'name: expected accounts/<account id>/servicePrincipals/<application id>/ruleSets/default (durable-jobs keeps the rule sets of service principals only), found "accounts/a1/groups/g/ruleSets/default"',
    });
  });

  it('an etag names its version; anything else names none', () => {
    expect(versionOfEtag(ruleSetEtag(7))).toBe(7);
    expect(ruleSetEtag(1)).not.toBe(ruleSetEtag(2));
    for (const bad of ['', 'not base64!', btoa('v1')]) expect(versionOfEtag(bad)).toBeUndefined();
  });
});

describe('parseUpdateRuleSet', () => {
  it('reports every problem at once, with its path', () => {
    const parsed = parseUpdateRuleSet({
      name: 'n',
      rule_set: { name: 'n', grant_rules: [{ role: 'roles/other', principals: ['alice'] }], extra: 1 },
    });
    expect(parsed).toEqual({
      ok: false,
      errors: [
        { path: 'rule_set.etag', message: 'required field missing: expected a string' },
        {
          path: 'rule_set.grant_rules[0].role',
          message: 'expected one of roles/servicePrincipal.user, roles/servicePrincipal.manager, found "roles/other"',
        },
        {
          path: 'rule_set.grant_rules[0].principals[0]',
          message:
            'expected users/<user name>, groups/<group name> or servicePrincipals/<application id>, found "alice"',
        },
        { path: 'rule_set.extra', message: 'unknown field "extra"' },
      ],
    });
  });

  it('takes the SDK’s body', () => {
    const body = {
      name: 'n',
      rule_set: { name: 'n', etag: 'e', grant_rules: [{ role: USER, principals: ['groups/x'] }] },
    };
    expect(parseUpdateRuleSet(body)).toEqual({ ok: true, value: body });
  });
});
