// A small client of MLflow's REST API (https://mlflow.org/docs/latest/api_reference/rest-api.html):
// what durable-jobs reads from a tracking server. MLflow is never a second store of runs: the
// MLflow runs of a job run are found by the tags the tasks put on them (djobs.job_run_id), and the
// model trigger reads the registry.

/** An MLflow run a task produced, with where to see it. */
export interface MlflowRunLink {
  run_id: string;
  run_name: string;
  experiment_id: string;
  task_key: string;
  task_run_id: number;
  attempt_number: number;
  status: string;
  metrics: Record<string, number>;
  url: string;
}

/** One registered model as a model trigger sees it. */
export interface RegisteredModelInfo {
  name: string;
  /** Versions whose status is READY. */
  readyVersions: number[];
  /** alias → version. */
  aliases: Record<string, number>;
}

export class MlflowRestError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string | undefined,
    message: string
  ) {
    super(message);
    this.name = 'MlflowRestError';
  }
}

type Json = Record<string, unknown>;

/**
 * fetch, tried once more when the server closed a kept-alive connection just as it was reused
 * (MLflow's server drops idle connections after a few seconds; the request never reached it).
 */
export async function fetchMlflow(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (err) {
    const code = (err as { cause?: { code?: string } }).cause?.code;
    if (code !== 'UND_ERR_SOCKET' && code !== 'ECONNRESET') throw err;
    return fetch(url, init);
  }
}

async function call<T>(
  trackingUri: string,
  method: 'GET' | 'POST',
  endpoint: string,
  body?: Json,
  timeoutMs = 30_000
): Promise<T> {
  const base = trackingUri.replace(/\/+$/, '');
  let url = `${base}/api/2.0/mlflow/${endpoint}`;
  if (method === 'GET' && body) url += `?${new URLSearchParams(body as Record<string, string>).toString()}`;
  const res = await fetchMlflow(url, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(method === 'POST' ? { body: JSON.stringify(body ?? {}) } : {}),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  if (!res.ok) {
    let code: string | undefined;
    try {
      code = (JSON.parse(text) as { error_code?: string }).error_code;
    } catch {
      // not JSON
    }
    throw new MlflowRestError(res.status, code, `MLflow ${endpoint}: HTTP ${res.status} ${text.slice(0, 300)}`);
  }
  return JSON.parse(text) as T;
}

/** Every page of a paginated MLflow search. */
async function allPages<T>(fetchPage: (token?: string) => Promise<{ items: T[]; next?: string }>): Promise<T[]> {
  const out: T[] = [];
  let token: string | undefined;
  do {
    const page = await fetchPage(token);
    out.push(...page.items);
    token = page.next;
  } while (token);
  return out;
}

const http = (uri: string) => /^https?:\/\//.test(uri);

/**
 * Make sure an experiment exists, so that tasks starting at once do not race to create it (MLflow
 * creates the experiment named by MLFLOW_EXPERIMENT_NAME on first use, and the loser fails).
 */
export async function ensureExperiment(trackingUri: string, name: string, timeoutMs = 5_000): Promise<void> {
  if (!http(trackingUri)) return;
  try {
    await call(trackingUri, 'GET', 'experiments/get-by-name', { experiment_name: name }, timeoutMs);
    return;
  } catch (err) {
    if (!(err instanceof MlflowRestError) || err.errorCode !== 'RESOURCE_DOES_NOT_EXIST') throw err;
  }
  try {
    await call(trackingUri, 'POST', 'experiments/create', { name }, timeoutMs);
  } catch (err) {
    if (!(err instanceof MlflowRestError) || err.errorCode !== 'RESOURCE_ALREADY_EXISTS') throw err;
  }
}

interface RestRun {
  info: { run_id: string; run_name?: string; experiment_id: string; status: string };
  data: { tags?: { key: string; value: string }[]; metrics?: { key: string; value: number }[] };
}

/** The MLflow runs the tasks of a job run produced, in every experiment, oldest first. */
export async function mlflowRunsOfJobRun(trackingUri: string, jobRunId: number): Promise<MlflowRunLink[]> {
  if (!http(trackingUri)) return [];
  const experiments = await allPages(async (page_token) => {
    const r = await call<{ experiments?: { experiment_id: string }[]; next_page_token?: string }>(
      trackingUri,
      'POST',
      'experiments/search',
      { max_results: 1000, ...(page_token ? { page_token } : {}) }
    );
    return { items: r.experiments ?? [], ...(r.next_page_token ? { next: r.next_page_token } : {}) };
  });
  if (experiments.length === 0) return [];
  const base = trackingUri.replace(/\/+$/, '');
  const runs = await allPages(async (page_token) => {
    const r = await call<{ runs?: RestRun[]; next_page_token?: string }>(trackingUri, 'POST', 'runs/search', {
      experiment_ids: experiments.map((e) => e.experiment_id),
      filter: `tags.\`djobs.job_run_id\` = '${jobRunId}'`,
      order_by: ['attributes.start_time ASC'],
      max_results: 1000,
      ...(page_token ? { page_token } : {}),
    });
    return { items: r.runs ?? [], ...(r.next_page_token ? { next: r.next_page_token } : {}) };
  });
  return runs.map((r) => {
    const tags = Object.fromEntries((r.data.tags ?? []).map((t) => [t.key, t.value]));
    return {
      run_id: r.info.run_id,
      run_name: r.info.run_name ?? '',
      experiment_id: r.info.experiment_id,
      task_key: tags['djobs.task_key'] ?? '',
      task_run_id: Number(tags['djobs.task_run_id'] ?? 0),
      attempt_number: Number(tags['djobs.attempt_number'] ?? 0),
      status: r.info.status,
      metrics: Object.fromEntries((r.data.metrics ?? []).map((m) => [m.key, m.value])),
      url: `${base}/#/experiments/${r.info.experiment_id}/runs/${r.info.run_id}`,
    };
  });
}

interface RestModel {
  name: string;
  aliases?: { alias: string; version: string }[];
}
interface RestVersion {
  name: string;
  version: string;
  status?: string;
}

/**
 * The registered models named `scope` or inside it (`scope` is a model name, or a
 * `catalog.schema` prefix for Unity-Catalog-style names; empty: every model), with their READY
 * versions and aliases.
 */
export async function registeredModels(trackingUri: string, scope: string): Promise<RegisteredModelInfo[]> {
  const quoted = (v: string) => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  const search = (filter?: string) =>
    allPages(async (page_token) => {
      const r = await call<{ registered_models?: RestModel[]; next_page_token?: string }>(
        trackingUri,
        'GET',
        'registered-models/search',
        { max_results: '1000', ...(filter ? { filter } : {}), ...(page_token ? { page_token } : {}) }
      );
      return { items: r.registered_models ?? [], ...(r.next_page_token ? { next: r.next_page_token } : {}) };
    });
  // The registry filters: the model itself, and the models named <scope>.<…> (schema-like scope).
  const models =
    scope === ''
      ? await search()
      : [...(await search(`name = ${quoted(scope)}`)), ...(await search(`name LIKE ${quoted(`${scope}.%`)}`))];
  const inScope = models.filter((m) => scope === '' || m.name === scope || m.name.startsWith(`${scope}.`));
  return Promise.all(
    inScope.map(async (m) => {
      const versions = await allPages(async (page_token) => {
        const r = await call<{ model_versions?: RestVersion[]; next_page_token?: string }>(
          trackingUri,
          'GET',
          'model-versions/search',
          {
            filter: `name = ${quoted(m.name)}`,
            max_results: '1000',
            ...(page_token ? { page_token } : {}),
          }
        );
        return { items: r.model_versions ?? [], ...(r.next_page_token ? { next: r.next_page_token } : {}) };
      });
      return {
        name: m.name,
        readyVersions: versions
          .filter((v) => (v.status ?? 'READY') === 'READY')
          .map((v) => Number(v.version))
          .sort((a, b) => a - b),
        aliases: Object.fromEntries((m.aliases ?? []).map((a) => [a.alias, Number(a.version)])),
      };
    })
  );
}
