// `djobs admin …`: what an operator does once, with Temporal operator rights (docs/operations.md).
import type { Command } from 'commander';
import {
  DEFAULT_RETENTION_DAYS,
  DjobsError,
  ErrorCode,
  TemporalUnavailableError,
  setupNamespace,
  type KeyUse,
} from '../../client';
import { loadConfig } from '../../config';
import { temporalTls } from '../../config/temporal-tls';
import { readLiveDevState } from '../../servers/dev-server';
import { outputFormat, printJson, runCommand, withSession } from '../output';
import { table } from '../render';

export function configureAdminCommand(program: Command): void {
  const admin = program.command('admin').description('Operator tasks (Temporal operator rights needed)');

  admin
    .command('setup')
    .description(
      `Create the namespace (TEMPORAL_NAMESPACE) if missing and register durable-jobs' search attributes; idempotent`
    )
    .option(
      '--retention <days>',
      `how long closed runs stay in a namespace created now (default ${DEFAULT_RETENTION_DAYS}); given for an existing namespace, changes its retention`
    )
    .action(async (opts: { retention?: string }, cmd: Command) =>
      runCommand(async () => {
        const retentionDays = opts.retention === undefined ? undefined : Number(opts.retention);
        if (retentionDays !== undefined && !(Number.isInteger(retentionDays) && retentionDays >= 1))
          throw new DjobsError(
            ErrorCode.INVALID_PARAMETER_VALUE,
            `--retention must be a whole number of days, at least 1, found "${opts.retention}".`
          );
        const config = loadConfig();
        const address = config.temporalAddress ?? (await readLiveDevState(config.home))?.address;
        if (!address)
          throw new TemporalUnavailableError(
            '(none)',
            new Error('set TEMPORAL_ADDRESS to the Temporal frontend to set up')
          );
        const tls = temporalTls(config);
        const report = await setupNamespace({
          address,
          namespace: config.namespace,
          ...(tls ? { tls } : {}),
          ...(retentionDays !== undefined ? { retentionDays } : {}),
        });
        if (outputFormat(cmd) === 'json') return printJson(report);
        const added = report.searchAttributesAdded;
        process.stdout.write(
          `namespace ${report.namespace}: ${report.namespaceCreated ? 'created' : 'exists'}, retention ${report.retentionDays} days\n` +
            `search attributes: ${added.length > 0 ? `registered ${added.join(', ')}` : 'all registered already'}\n`
        );
      })
    );

  admin
    .command('keys')
    .description(
      'Per key id of the key ring: how many jobs, secret scopes, notification destinations, other records and open runs still use it'
    )
    .action(async (_o: unknown, cmd: Command) =>
      runCommand(() =>
        withSession(false, async ({ client }) => {
          const keys = await client.keyUsage();
          if (outputFormat(cmd) === 'json') return printJson({ keys });
          process.stdout.write(keyTable(keys));
        })
      )
    );

  admin
    .command('reencrypt')
    .description(
      "Write every stored record (jobs, secret scopes, notification destinations) that uses an older key again with the key ring's primary key"
    )
    .action(async (_o: unknown, cmd: Command) =>
      runCommand(() =>
        withSession(false, async ({ client }) => {
          const report = await client.reencryptRecords();
          if (outputFormat(cmd) === 'json') printJson(report);
          else {
            const r = report.reencrypted;
            process.stdout.write(
              `re-encrypted: ${r.jobs} jobs, ${r.secret_scopes} secret scopes, ${r.notification_destinations} notification destinations, ${r.other_records} other records; ${report.unchanged} already used the primary key\n` +
                report.failed.map((f) => `failed: ${f.schedule_id}: ${f.error}\n`).join('')
            );
          }
          if (report.failed.length > 0)
            throw new DjobsError(
              ErrorCode.INTERNAL_ERROR,
              `${report.failed.length} records could not be re-encrypted; they still need their old key.`
            );
        })
      )
    );
}

const KEY_COLUMNS = [
  ['KEY', (k: KeyUse) => `${k.key_id}${k.primary ? ' (primary)' : ''}${k.in_key_ring ? '' : ' (not in key ring)'}`],
  ['JOBS', (k: KeyUse) => String(k.jobs)],
  ['SECRET_SCOPES', (k: KeyUse) => String(k.secret_scopes)],
  ['DESTINATIONS', (k: KeyUse) => String(k.notification_destinations)],
  ['OTHER_RECORDS', (k: KeyUse) => String(k.other_records)],
  ['OPEN_RUNS', (k: KeyUse) => String(k.open_runs)],
  ['OTHER_OPEN_WORKFLOWS', (k: KeyUse) => String(k.other_open_workflows)],
] as const;

/** `admin keys` as a table, one row a key. */
const keyTable = (keys: KeyUse[]) =>
  `${table(
    KEY_COLUMNS.map(([h]) => h),
    keys.map((k) => KEY_COLUMNS.map(([, cell]) => cell(k)))
  )}\n`;
