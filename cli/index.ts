#!/usr/bin/env node
// djobs: Databricks-style jobs on Temporal. Verbs mirror the Databricks CLI's `jobs` group.
import { Command } from 'commander';
import { configureApiCommand } from './commands/api';
import { configureDevCommand } from './commands/dev';
import { configureJobsCommand } from './commands/jobs';
import { configureRunCommand } from './commands/run';
import { configureValidateCommand } from './commands/validate';
import { configureWorkerCommand } from './commands/worker';
import { configureSecretsCommand } from './commands/secrets';

export function buildProgram(): Command {
  const program = new Command('djobs')
    .description('Databricks Workflows (Lakeflow Jobs) as a durable job engine on Temporal')
    .option('-o, --output <format>', 'text or json', 'text')
    .showHelpAfterError();
  configureValidateCommand(program);
  configureRunCommand(program);
  configureDevCommand(program);
  configureWorkerCommand(program);
  configureJobsCommand(program);
  configureApiCommand(program);
  configureSecretsCommand(program);
  program.exitOverride((err) => {
    // Commander's own usage errors are bad input (exit 2), as for every other djobs error.
    process.exit(err.exitCode === 0 ? 0 : 2);
  });
  return program;
}

if (require.main === module) {
  buildProgram()
    .parseAsync(process.argv)
    .catch((err: unknown) => {
      process.stderr.write(`Error: ${String(err)}\n`);
      process.exit(1);
    });
}
