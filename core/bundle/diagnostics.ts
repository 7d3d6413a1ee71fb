// Problems found in a bundle, each with the YAML path and the file, line and column it is about,
// printed the way the Databricks CLI prints them:
//
//   Error: notebook ../src/missing.ipynb not found
//     at resources.jobs.sample_job.tasks[0].notebook_task.notebook_path
//     in resources/sample_job.job.yml:21:28
import { formatLocation, formatPath, locationOf, type Location, type Path, type Value } from './value';

export const Severity = { ERROR: 'error', WARNING: 'warning', RECOMMENDATION: 'recommendation' } as const;
export type Severity = (typeof Severity)[keyof typeof Severity];

export interface Diagnostic {
  severity: Severity;
  summary: string;
  /** More lines of explanation. */
  detail?: string;
  /** The YAML paths the problem is about. */
  paths: string[];
  locations: Location[];
}

/** A problem at `path` of `root`, located where that path was written. */
export function diagnosticAt(
  severity: Severity,
  summary: string,
  root: Value | undefined,
  path: Path | undefined,
  more: { detail?: string; locations?: Location[] } = {}
): Diagnostic {
  const at = root && path ? locationOf(root, path) : undefined;
  return {
    severity,
    summary,
    ...(more.detail !== undefined ? { detail: more.detail } : {}),
    paths: path ? [formatPath(path)] : [],
    locations: more.locations ?? (at ? [at] : []),
  };
}

export const errorAt = (
  summary: string,
  root: Value | undefined,
  path?: Path,
  more?: { detail?: string; locations?: Location[] }
) => diagnosticAt(Severity.ERROR, summary, root, path, more);
export const warningAt = (
  summary: string,
  root: Value | undefined,
  path?: Path,
  more?: { detail?: string; locations?: Location[] }
) => diagnosticAt(Severity.WARNING, summary, root, path, more);

export const hasErrors = (ds: readonly Diagnostic[]): boolean => ds.some((d) => d.severity === Severity.ERROR);

const TITLE: Record<Severity, string> = { error: 'Error', warning: 'Warning', recommendation: 'Recommendation' };

/** One diagnostic as the Databricks CLI renders it (locations relative as loaded). */
export function renderDiagnostic(d: Diagnostic): string {
  const lines = [`${TITLE[d.severity]}: ${d.summary}`];
  for (const p of d.paths) lines.push(`  at ${p}`);
  for (const l of d.locations) lines.push(`  in ${formatLocation(l)}`);
  if (d.detail) lines.push('', d.detail);
  return `${lines.join('\n')}\n`;
}

/** Thrown when a bundle has errors: every diagnostic found, errors and warnings. */
export class BundleError extends Error {
  constructor(readonly diagnostics: Diagnostic[]) {
    super(
      diagnostics
        .filter((d) => d.severity === Severity.ERROR)
        .map((d) => d.summary)
        .join('; ')
    );
    this.name = 'BundleError';
  }
}
