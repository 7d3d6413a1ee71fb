// `djobs admin …`: what an operator does once, with Temporal operator rights (docs/operations.md).
import type { Command } from 'commander';
import { DEFAULT_RETENTION_DAYS, DjobsError, ErrorCode, TemporalUnavailableError, setupNamespace } from '../../client';
import { loadConfig } from '../../config';
import { temporalTls } from '../../config/temporal-tls';
import { readLiveDevState } from '../../servers/dev-server';
import { outputFormat, printJson, runCommand } from '../output';

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
}
