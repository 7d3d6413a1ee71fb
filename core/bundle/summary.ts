// What `bundle validate` and `bundle summary` print, in the Databricks CLI's shapes: the text
// header (name, target, workspace user and path) with each resource's name and page, and with
// `-o json` the resolved configuration whose `resources.jobs.<key>` carry the deployed job's `id`
// (a string, as Databricks writes it) and `url`, or `modified_status: "created"` when not deployed
// yet; jobs deployed earlier that the configuration no longer has are listed as `"deleted"`.
import type { BundleJob, ResolvedBundle } from './resolve';
import { toPlain } from './value';

/** A deployed job, as the server has it. */
export interface DeployedJob {
  jobId: number;
  url: string;
}

export interface SummaryFacts {
  /** Jobs of the configuration that exist, by key. */
  deployed: ReadonlyMap<string, DeployedJob>;
  /** Jobs of the deployment the configuration no longer has, by key. */
  stray: ReadonlyMap<string, DeployedJob & { name: string }>;
}

function jobEntry(job: BundleJob, deployed: DeployedJob | undefined): Record<string, unknown> {
  return {
    ...(job.settings as Record<string, unknown>),
    ...(job.permissions.length > 0 ? { permissions: job.permissions } : {}),
    ...(deployed ? { id: String(deployed.jobId), url: deployed.url } : { modified_status: 'created' }),
  };
}

/** `bundle summary -o json` (and `validate -o json`, with what is deployed when known). */
export function summaryJson(b: ResolvedBundle, facts?: SummaryFacts): Record<string, unknown> {
  const config = toPlain(b.config) as Record<string, unknown>;
  const resources = { ...((config.resources as Record<string, unknown> | undefined) ?? {}) };
  const jobs: Record<string, unknown> = {};
  for (const j of b.jobs) jobs[j.key] = jobEntry(j, facts?.deployed.get(j.key));
  for (const [key, s] of facts?.stray ?? [])
    jobs[key] = { name: s.name, id: String(s.jobId), url: s.url, modified_status: 'deleted' };
  resources.jobs = jobs;
  return { ...config, resources };
}

/** The header `validate` and `summary` print. */
export function summaryHeader(b: ResolvedBundle): string {
  const lines = [`Name: ${b.name}`, `Target: ${b.target}`, 'Workspace:'];
  if (b.host) lines.push(`  Host: ${b.host}`);
  lines.push(`  User: ${b.user.userName}`, `  Path: ${b.workspace.rootPath}`);
  return `${lines.join('\n')}\n`;
}

/** `bundle summary` as text: the header, then each job with its name and page. */
export function summaryText(b: ResolvedBundle, facts: SummaryFacts): string {
  let out = summaryHeader(b);
  type Entry = { key: string; name: string; deployed?: DeployedJob };
  const entries: Entry[] = [
    ...b.jobs.map((j): Entry => {
      const deployed = facts.deployed.get(j.key);
      return { key: j.key, name: j.settings.name ?? 'Untitled', ...(deployed ? { deployed } : {}) };
    }),
    ...[...facts.stray].map(([key, s]): Entry => ({
      key,
      name: `${s.name} (deleted from the configuration)`,
      deployed: s,
    })),
  ];
  if (entries.length > 0 || b.skipped.length > 0) out += 'Resources:\n';
  if (entries.length > 0) {
    out += '  Jobs:\n';
    for (const e of entries) {
      out += `    ${e.key}:\n      Name: ${e.name}\n`;
      if (e.deployed) out += `      ID:   ${e.deployed.jobId}\n`;
      out += `      URL:  ${e.deployed?.url ?? '(not deployed)'}\n`;
    }
  }
  const kinds = [...new Set(b.skipped.map((s) => s.kind))];
  for (const kind of kinds) {
    out += `  ${title(kind)} (skipped: durable-jobs deploys jobs only):\n`;
    for (const s of b.skipped.filter((x) => x.kind === kind)) out += `    ${s.key}\n`;
  }
  return out;
}

const title = (kind: string): string =>
  kind
    .split('_')
    .map((w, i) => (i === 0 ? w[0]!.toUpperCase() + w.slice(1) : w))
    .join(' ');
