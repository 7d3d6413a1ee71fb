import type { Command } from 'commander';
import { DjobsError, loadJobSpecFile } from '../../client';
import { outputFormat, runCommand, withSession } from '../output';
import { printIdOrFollow } from './follow';

export function parseParams(pairs: string[]): Record<string, string> {
  const params: Record<string, string> = {};
  for (const pair of pairs) {
    const i = pair.indexOf('=');
    if (i <= 0) throw new DjobsError('INVALID_PARAMETER_VALUE', `--param expects name=value, found "${pair}".`);
    params[pair.slice(0, i)] = pair.slice(i + 1);
  }
  return params;
}

/** `djobs run FILE`: one-time submit of a spec file, followed live. */
export function configureRunCommand(program: Command): void {
  program
    .command('run')
    .description('Submit a job spec file as a one-time run and follow it (exit 0 only on SUCCESS)')
    .argument('<file>', 'job settings file (JSON or YAML)')
    .option(
      '--param <name=value>',
      'job parameter override (repeatable)',
      (v: string, acc: string[]) => [...acc, v],
      []
    )
    .option('--no-wait', 'print the run id and return at once')
    .action(async (file: string, opts: { param: string[]; wait: boolean }, cmd: Command) =>
      runCommand(async () => {
        const format = outputFormat(cmd);
        const jobParameters = parseParams(opts.param);
        const { settings } = await loadJobSpecFile(file);
        return withSession(opts.wait, async ({ client, uiUrl }) => {
          const { run_id } = await client.submitRun(settings, { jobParameters });
          if (opts.wait && format === 'text' && uiUrl) process.stderr.write(`Temporal Web UI: ${uiUrl}\n`);
          return printIdOrFollow(client, { key: 'run_id', id: run_id }, run_id, opts.wait, format);
        });
      })
    );
}
