import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { DjobsError, ErrorCode } from '../../client';
import { isSecretPermission } from '../../core';
import { readStdin, storeCommandRunner } from '../output';
import { table } from '../render';

/**
 * `djobs secrets …`: the Databricks CLI's secrets verbs. The CLI holds the key ring and acts as
 * the workspace operator (no ACL check); users and service principals go through the REST API.
 */
export function configureSecretsCommand(program: Command): void {
  const secrets = program
    .command('secrets')
    .description('Secret scopes, secrets and scope ACLs (Databricks CLI verbs)');
  const run = storeCommandRunner((client) => client.secretScopes);

  secrets
    .command('create-scope <scope>')
    .description('Create a secret scope; you MANAGE it')
    .option('--initial-manage-principal <principal>', '"users" grants MANAGE to every user')
    .action((scope: string, opts: { initialManagePrincipal?: string }, cmd: Command) =>
      run(cmd, (s) => s.createScope(scope, userInfo().username, opts.initialManagePrincipal))
    );
  secrets
    .command('delete-scope <scope>')
    .description('Delete a secret scope and its secrets')
    .action((scope: string, _o: unknown, cmd: Command) => run(cmd, (s) => s.deleteScope(scope)));
  secrets
    .command('list-scopes')
    .description('List secret scopes')
    .action((_o: unknown, cmd: Command) =>
      run(
        cmd,
        async (s) => ({ scopes: await s.listScopes() }),
        (r: { scopes: { name: string; backend_type: string }[] }) =>
          `${table(
            ['SCOPE', 'BACKEND'],
            r.scopes.map((x) => [x.name, x.backend_type])
          )}\n`
      )
    );
  secrets
    .command('put-secret <scope> <key>')
    .description('Store a secret (from --string-value, --bytes-value or standard input)')
    .option('--string-value <value>', 'the value as text (visible in your shell history: prefer stdin)')
    .option('--bytes-value <base64>', 'the value as base64 bytes')
    .action(async (scope: string, key: string, opts: { stringValue?: string; bytesValue?: string }, cmd: Command) => {
      const value =
        opts.stringValue !== undefined
          ? Buffer.from(opts.stringValue)
          : opts.bytesValue !== undefined
            ? Buffer.from(opts.bytesValue, 'base64')
            : await readStdin();
      return run(cmd, (s) => s.putSecret(scope, key, value));
    });
  secrets
    .command('delete-secret <scope> <key>')
    .description('Delete a secret')
    .action((scope: string, key: string, _o: unknown, cmd: Command) => run(cmd, (s) => s.deleteSecret(scope, key)));
  secrets
    .command('list-secrets <scope>')
    .description('List the keys of a scope (never values)')
    .action((scope: string, _o: unknown, cmd: Command) =>
      run(
        cmd,
        async (s) => ({ secrets: await s.listSecrets(scope) }),
        (r: { secrets: { key: string; last_updated_timestamp: number }[] }) =>
          `${table(
            ['KEY', 'LAST_UPDATED'],
            r.secrets.map((x) => [x.key, new Date(x.last_updated_timestamp).toISOString()])
          )}\n`
      )
    );
  secrets
    .command('put-acl <scope> <principal> <permission>')
    .description('Grant READ, WRITE or MANAGE on a scope to a user, service principal or group')
    .action((scope: string, principal: string, permission: string, _o: unknown, cmd: Command) =>
      run(cmd, (s) => {
        if (!isSecretPermission(permission))
          throw new DjobsError(
            ErrorCode.INVALID_PARAMETER_VALUE,
            `Invalid permission ${JSON.stringify(permission)}: expected READ, WRITE or MANAGE.`
          );
        return s.putAcl(scope, principal, permission);
      })
    );
  secrets
    .command('delete-acl <scope> <principal>')
    .description('Remove a principal’s ACL from a scope')
    .action((scope: string, principal: string, _o: unknown, cmd: Command) =>
      run(cmd, (s) => s.deleteAcl(scope, principal))
    );
  secrets
    .command('get-acl <scope> <principal>')
    .description('Show a principal’s ACL on a scope')
    .action((scope: string, principal: string, _o: unknown, cmd: Command) =>
      run(cmd, (s) => s.getAcl(scope, principal))
    );
  secrets
    .command('list-acls <scope>')
    .description('List the ACLs of a scope')
    .action((scope: string, _o: unknown, cmd: Command) =>
      run(
        cmd,
        async (s) => ({ items: await s.listAcls(scope) }),
        (r: { items: { principal: string; permission: string }[] }) =>
          `${table(
            ['PRINCIPAL', 'PERMISSION'],
            r.items.map((a) => [a.principal, a.permission])
          )}\n`
      )
    );
}
