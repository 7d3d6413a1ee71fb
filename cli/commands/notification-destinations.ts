import fs from 'node:fs';
import type { Command } from 'commander';
import { DjobsError, ErrorCode } from '../../client';
import {
  parseCreateNotificationDestination,
  parseUpdateNotificationDestination,
  type DestinationParse,
  type NotificationDestinationSummary,
} from '../../core';
import { readStdin, storeCommandRunner } from '../output';
import { table } from '../render';

/**
 * `djobs notification-destinations …`: the Databricks CLI's verbs. The request body comes from
 * `--json` (inline, `@file`, or `-` for standard input: keeps webhook URLs and keys out of shell
 * history), with `--display-name` on top. The CLI holds the key ring and acts as the workspace
 * operator (an admin); users and service principals go through the REST API.
 */
export function configureNotificationDestinationsCommand(program: Command): void {
  const destinations = program
    .command('notification-destinations')
    .description(
      'Notification destinations: email, Slack, Microsoft Teams, PagerDuty, webhooks (Databricks CLI verbs)'
    );
  const run = storeCommandRunner((client) => client.notificationDestinations);
  const jsonOption = '--json <json>';
  const jsonHelp = 'the request body: inline JSON, @file, or - for standard input';

  destinations
    .command('create')
    .description('Create a destination, e.g. --json \'{"config": {"slack": {"url": "…"}}}\' --display-name alerts')
    .option('--display-name <name>', 'the display name')
    .option(jsonOption, jsonHelp)
    .action(async (opts: { displayName?: string; json?: string }, cmd: Command) => {
      const body = await requestBody(opts);
      return run(cmd, (s) => s.create(valid(parseCreateNotificationDestination(body))));
    });
  destinations
    .command('list')
    .description('List destinations (every page)')
    .action((_o: unknown, cmd: Command) =>
      run(
        cmd,
        async (s) => {
          const results: NotificationDestinationSummary[] = [];
          let token: string | undefined;
          do {
            const page = await s.list(undefined, token);
            results.push(...page.results);
            token = page.next_page_token;
          } while (token);
          return { results };
        },
        (r: { results: NotificationDestinationSummary[] }) =>
          `${table(
            ['ID', 'DISPLAY_NAME', 'TYPE'],
            r.results.map((d) => [d.id, d.display_name, d.destination_type])
          )}\n`
      )
    );
  destinations
    .command('get <id>')
    .description('Show a destination (secrets appear only as *_set flags)')
    .action((id: string, _o: unknown, cmd: Command) => run(cmd, (s) => s.get(id, true)));
  destinations
    .command('update <id>')
    .description('Change the display name and/or the config (same receiver; secrets left out are kept)')
    .option('--display-name <name>', 'the new display name')
    .option(jsonOption, jsonHelp)
    .action(async (id: string, opts: { displayName?: string; json?: string }, cmd: Command) => {
      const body = await requestBody(opts);
      return run(cmd, (s) => s.update(id, valid(parseUpdateNotificationDestination(body))));
    });
  destinations
    .command('delete <id>')
    .description('Delete a destination')
    .action((id: string, _o: unknown, cmd: Command) => run(cmd, (s) => s.delete(id)));
}

async function requestBody(opts: { displayName?: string; json?: string }): Promise<unknown> {
  const text =
    opts.json === undefined
      ? '{}'
      : opts.json === '-'
        ? (await readStdin()).toString('utf8')
        : opts.json.startsWith('@')
          ? fs.readFileSync(opts.json.slice(1), 'utf8')
          : opts.json;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new DjobsError(ErrorCode.INVALID_PARAMETER_VALUE, `--json is not JSON: ${(err as Error).message}`);
  }
  if (opts.displayName === undefined) return body;
  return { ...(typeof body === 'object' && body !== null ? body : {}), display_name: opts.displayName };
}

function valid<T>(parsed: DestinationParse<T>): T {
  if (parsed.ok) return parsed.value;
  const n = parsed.errors.length;
  throw new DjobsError(
    ErrorCode.INVALID_PARAMETER_VALUE,
    `invalid notification destination (${n} problem${n === 1 ? '' : 's'}):\n` +
      parsed.errors.map((p) => `  ${p.path || '(root)'}: ${p.message}`).join('\n')
  );
}
