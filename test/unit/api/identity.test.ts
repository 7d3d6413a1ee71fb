import { describe, expect, it } from 'vitest';
import { scimMe } from '../../../api/identity';
import { isWebUiPath } from '../../../api/web-ui';

describe('SCIM Me', () => {
  it('names the principal and every group it is in', () => {
    expect(scimMe({ name: 'dave@example.com', kind: 'user', groups: ['ops'], admin: false })).toEqual({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      id: 'dave@example.com',
      userName: 'dave@example.com',
      displayName: 'dave@example.com',
      active: true,
      groups: [
        { display: 'users', value: 'users', type: 'direct' },
        { display: 'ops', value: 'ops', type: 'direct' },
      ],
    });
    const bot = scimMe({ name: 'etl-bot', kind: 'service_principal', groups: [], admin: true });
    expect(bot.schemas).toEqual(['urn:ietf:params:scim:schemas:core:2.0:ServicePrincipal']);
    expect(bot.applicationId).toBe('etl-bot');
    expect(bot.groups.map((g) => g.display)).toEqual(['users', 'admins']);
  });
});

describe('web UI paths', () => {
  it.each([
    ['/', true],
    ['/?x=1', true],
    ['/ui/app-ABCDEFGH.js', true],
    ['/api/2.1/jobs/list', false],
    ['/uix', false],
    ['/index.html', false],
  ])('%s needs no token: %s', (url, open) => {
    expect(isWebUiPath(url)).toBe(open);
  });
});
