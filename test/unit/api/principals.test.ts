import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TokenMap, adminPrincipal, authenticate, loadPrincipals } from '../../../api/auth';

const write = (text: string) => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'djobs-principals-')), 'principals.yaml');
  fs.writeFileSync(file, text);
  return file;
};

describe('principals file', () => {
  it('maps plain and SHA-256 tokens to users and service principals with their groups', () => {
    const tokens = new TokenMap();
    tokens.add({ plain: 'admin-token-0123456789' }, adminPrincipal());
    loadPrincipals(
      write(`
users:
  - user_name: alice@example.com
    groups: [eng, admins]
    tokens: [alice-token-0123456789]
service_principals:
  - service_principal_name: etl-bot
    token_sha256: [${TokenMap.sha256('bot-token-0123456789')}]
`),
      tokens
    );
    expect(authenticate('Bearer alice-token-0123456789', tokens)).toEqual({
      name: 'alice@example.com',
      kind: 'user',
      groups: ['eng', 'admins'],
      admin: true,
    });
    expect(authenticate('bearer bot-token-0123456789', tokens)).toEqual({
      name: 'etl-bot',
      kind: 'service_principal',
      groups: [],
      admin: false,
    });
    expect(() => authenticate('Bearer nope', tokens)).toThrow('Invalid access token.');
    expect(() => authenticate(undefined, tokens)).toThrow('Credential was not sent');
  });

  it('reports every problem in the file with its path', () => {
    expect(() =>
      loadPrincipals(
        write(`
users:
  - user_name: alice
    tokens: [short]
    role: x
service_principals:
  - token_sha256: [abc]
`),
        new TokenMap()
      )
    ).toThrow(
      [
        '  users.0.tokens.0: tokens must be at least 16 characters',
        '  users.0: Unrecognized key: "role"',
        '  service_principals.0.service_principal_name: Invalid input: expected string, received undefined',
        '  service_principals.0.token_sha256.0: expected 64 hex digits',
      ].join('\n')
    );
  });

  it('refuses one token for two principals', () => {
    expect(() =>
      loadPrincipals(
        write(`
users:
  - { user_name: a, tokens: [same-token-0123456789] }
  - { user_name: b, tokens: [same-token-0123456789] }
`),
        new TokenMap()
      )
    ).toThrow('The same token is configured for a and b.');
  });
});

describe('examples/api/principals.yaml', () => {
  it('loads, and its tokens sign in as the principals it names', () => {
    const tokens = new TokenMap();
    loadPrincipals(path.resolve(__dirname, '..', '..', '..', 'examples', 'api', 'principals.yaml'), tokens);
    expect(tokens.size).toBe(3);
    expect(authenticate('Bearer dapi-etl-bot-0123456789abcdef', tokens)).toMatchObject({
      name: 'etl-bot',
      kind: 'service_principal',
      groups: ['data-eng'],
    });
    // alice holds servicePrincipal/user on etl-bot: she may name it in run_as; others may not.
    const alice = authenticate('Bearer dapi-alice-0123456789abcdef', tokens);
    expect(tokens.holdsServicePrincipalUser(alice, 'etl-bot')).toBe(true);
    expect(tokens.holdsServicePrincipalUser({ ...alice, name: 'eve@example.com', groups: [] }, 'etl-bot')).toBe(false);
    expect(tokens.find('service_principal', 'etl-bot')).toMatchObject({ name: 'etl-bot' });
  });
});
