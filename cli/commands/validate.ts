import type { Command } from 'commander';
import { loadJobSpecFile, SpecValidationError } from '../../client';
import { ExitCode } from '../exit-codes';
import { outputFormat, printJson, runCommand } from '../output';

/** `djobs validate FILE`: every problem with its JSON path; exit 2 when there is any. */
export function configureValidateCommand(program: Command): void {
  program
    .command('validate')
    .description('Validate a job spec (JSON or YAML) and report every problem with its JSON path')
    .argument('<file>', 'job settings file')
    .action(async (file: string, _opts: unknown, cmd: Command) =>
      runCommand(async () => {
        const json = outputFormat(cmd) === 'json';
        try {
          await loadJobSpecFile(file);
          if (json) printJson({ valid: true, errors: [] });
          else process.stdout.write(`${file}: valid\n`);
          return ExitCode.SUCCESS;
        } catch (err) {
          if (!(err instanceof SpecValidationError)) throw err;
          if (json) printJson({ valid: false, errors: err.problems });
          else for (const p of err.problems) process.stdout.write(`error: ${p.path || '(root)'}: ${p.message}\n`);
          return ExitCode.BAD_INPUT;
        }
      })
    );
}
