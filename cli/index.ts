#!/usr/bin/env node
// djobs: Databricks-style jobs on Temporal. Verbs mirror the Databricks CLI's `jobs` group.
import { Command } from 'commander';
import { configureAdminCommand } from './commands/admin';
import { configureApiCommand } from './commands/api';
import { configureBundleCommand } from './commands/bundle';
import { configureDevCommand } from './commands/dev';
import { configureJobsCommand } from './commands/jobs';
import { configureRunCommand } from './commands/run';
import { configureValidateCommand } from './commands/validate';
import { configureUiCommand } from './commands/ui';
import { configureWorkerCommand } from './commands/worker';
import { configureSecretsCommand } from './commands/secrets';
import { configureNotificationDestinationsCommand } from './commands/notification-destinations';

export function buildProgram(): Command {
  const program = new Command('djobs')
    .description('Databricks Workflows (Lakeflow Jobs) as a durable job engine on Temporal')
    .option('-o, --output <format>', 'text or json', 'text')
    .showHelpAfterError()
    // Commander's own usage errors are bad input (exit 2), as for every other djobs error. Set
    // before the subcommands are added: each copies it when created, so `run --bad-flag` exits 2 too.
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));
  configureValidateCommand(program);
  configureRunCommand(program);
  configureDevCommand(program);
  configureWorkerCommand(program);
  configureJobsCommand(program);
  configureApiCommand(program);
  configureUiCommand(program);
  configureSecretsCommand(program);
  configureNotificationDestinationsCommand(program);
  configureBundleCommand(program);
  configureAdminCommand(program);
  return program;
}

/** Parse argv and run the command: the entry of `node dist/cli/index.js` and of the installed bin. */
export function main(argv: string[] = process.argv): void {
  buildProgram()
    .parseAsync(argv)
    .catch((err: unknown) => {
      process.stderr.write(`Error: ${String(err)}\n`);
      process.exit(1);
    });
}

// The installed bin (bin/djobs.cjs) requires this file, so it is not the main module there and
// calls main() itself; without that call the command would do nothing and exit 0.
if (require.main === module) main();
