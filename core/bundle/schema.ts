// The shape of a bundle's configuration (`databricks.yml` and its includes), as the Databricks CLI
// defines it (https://docs.databricks.com/dev-tools/bundles/settings): every mapping is strict, so
// a misspelt key is an error at its file, line and YAML path, never dropped. A job's own settings
// are checked later, once variables are resolved, by the jobs schema (`validateJobSettings`);
// resource kinds durable-jobs does not deploy are accepted and reported as skipped.
import { z } from 'zod';
import { issueToProblems } from '../schema/validate';

/** Resource kinds of Databricks bundles that durable-jobs does not deploy: reported as skipped. */
export const SKIPPED_RESOURCE_KINDS = [
  'job_runs',
  'pipelines',
  'models',
  'experiments',
  'model_serving_endpoints',
  'registered_models',
  'quality_monitors',
  'catalogs',
  'schemas',
  'volumes',
  'external_locations',
  'clusters',
  'dashboards',
  'genie_spaces',
  'apps',
  'secret_scopes',
  'alerts',
  'sql_warehouses',
  'database_instances',
  'database_catalogs',
  'synced_database_tables',
  'postgres_projects',
  'postgres_branches',
  'postgres_endpoints',
  'postgres_catalogs',
  'postgres_databases',
  'postgres_roles',
  'postgres_synced_tables',
  'vector_search_endpoints',
  'vector_search_indexes',
  'instance_pools',
  'secrets',
] as const;

const str = z.string();
const anyMap = z.record(z.string(), z.unknown());

/** `permissions` entries, of a job or of the whole bundle. */
export const Permission = z.strictObject({
  level: z.enum(['CAN_VIEW', 'CAN_MANAGE_RUN', 'CAN_MANAGE', 'IS_OWNER']),
  user_name: str.optional(),
  group_name: str.optional(),
  service_principal_name: str.optional(),
});
export type Permission = z.infer<typeof Permission>;

/** A job resource: the Jobs API's settings (checked later) plus the bundle's own fields. */
const JobResource = z.looseObject({
  permissions: z.array(Permission).optional(),
  lifecycle: z.strictObject({ prevent_destroy: z.boolean().optional() }).optional(),
});

const Resources = z.strictObject({
  jobs: z.record(z.string(), JobResource.nullable()).optional(),
  ...Object.fromEntries(SKIPPED_RESOURCE_KINDS.map((k) => [k, anyMap.nullable().optional()])),
});

const Git = z.strictObject({ branch: str.optional(), origin_url: str.optional() });

const Bundle = z.strictObject({
  name: str.optional(),
  uuid: str.optional(),
  databricks_cli_version: str.optional(),
  cluster_id: str.optional(),
  compute_id: str.optional(),
  engine: str.optional(),
  git: Git.optional(),
  deployment: z
    .strictObject({
      fail_on_active_runs: z.boolean().optional(),
      lock: z.strictObject({ enabled: z.boolean().optional(), force: z.boolean().optional() }).optional(),
    })
    .optional(),
});

const Workspace = z.strictObject({
  host: str.optional(),
  profile: str.optional(),
  auth_type: str.optional(),
  client_id: str.optional(),
  account_id: str.optional(),
  workspace_id: str.optional(),
  google_service_account: str.optional(),
  azure_workspace_resource_id: str.optional(),
  azure_use_msi: z.boolean().optional(),
  azure_client_id: str.optional(),
  azure_tenant_id: str.optional(),
  azure_environment: str.optional(),
  azure_login_app_id: str.optional(),
  root_path: str.optional(),
  file_path: str.optional(),
  artifact_path: str.optional(),
  state_path: str.optional(),
  resource_path: str.optional(),
});

const Artifact = z.strictObject({
  type: z.enum(['whl', 'jar']).optional(),
  path: str.optional(),
  build: str.optional(),
  executable: z.enum(['bash', 'sh', 'cmd']).optional(),
  dynamic_version: z.boolean().optional(),
  files: z.array(z.strictObject({ source: str })).optional(),
});

const Sync = z.strictObject({
  paths: z.array(str).optional(),
  include: z.array(str).optional(),
  exclude: z.array(str).optional(),
});

const Presets = z.strictObject({
  name_prefix: str.optional(),
  pipelines_development: z.boolean().optional(),
  trigger_pause_status: z.enum(['PAUSED', 'UNPAUSED']).optional(),
  jobs_max_concurrent_runs: z.number().int().optional(),
  tags: z.record(z.string(), str).optional(),
  source_linked_deployment: z.boolean().optional(),
  artifacts_dynamic_version: z.boolean().optional(),
});

const RunAs = z.strictObject({ user_name: str.optional(), service_principal_name: str.optional() });

const Variable = z.strictObject({
  description: str.optional(),
  type: z.literal('complex').optional(),
  default: z.unknown().optional(),
  lookup: anyMap.optional(),
});

/** A target's variable: a value, or `{default}` / `{lookup}` as in the root. */
const TargetVariable = z.union([z.string(), z.number(), z.boolean(), z.array(z.unknown()), anyMap]);

const modeEnum = z.enum(['development', 'production']);

const Target = z.strictObject({
  default: z.boolean().optional(),
  mode: modeEnum.optional(),
  presets: Presets.optional(),
  compute_id: str.optional(),
  cluster_id: str.optional(),
  bundle: Bundle.optional(),
  workspace: Workspace.optional(),
  artifacts: z.record(z.string(), Artifact.nullable()).optional(),
  resources: Resources.optional(),
  variables: z.record(z.string(), TargetVariable).optional(),
  git: Git.optional(),
  run_as: RunAs.optional(),
  sync: Sync.optional(),
  permissions: z.array(Permission).optional(),
});

export const BundleConfig = z.strictObject({
  bundle: Bundle.optional(),
  include: z.array(str).optional(),
  variables: z.record(z.string(), Variable.nullable()).optional(),
  workspace: Workspace.optional(),
  artifacts: z.record(z.string(), Artifact.nullable()).optional(),
  resources: Resources.optional(),
  targets: z.record(z.string(), Target.nullable()).optional(),
  environments: z.record(z.string(), Target.nullable()).optional(),
  sync: Sync.optional(),
  run_as: RunAs.optional(),
  presets: Presets.optional(),
  permissions: z.array(Permission).optional(),
  experimental: anyMap.optional(),
  scripts: anyMap.optional(),
  python: anyMap.optional(),
});

/** Shape problems of a configuration tree, each with its path (as path segments) and a sentence. */
export function configShapeProblems(config: unknown): { path: (string | number)[]; message: string }[] {
  const r = BundleConfig.safeParse(config);
  if (r.success) return [];
  return r.error.issues.flatMap((issue) => {
    const at = issue.path.map((s) => (typeof s === 'number' ? s : String(s)));
    if (issue.code === 'unrecognized_keys')
      return issue.keys.map((k) => ({ path: [...at, k], message: `unknown field "${k}"` }));
    return issueToProblems(issue).map((p) => ({ path: at, message: p.message }));
  });
}
