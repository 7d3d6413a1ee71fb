// The page's only door to the server: the public REST API with the signed-in token as a bearer
// header. The token lives in sessionStorage (gone when the tab closes) and is never sent as a
// cookie, so other sites cannot make the browser act on the API (no CSRF).
import type { Run } from '../../core/run/databricks-run';
import type { JobSettings } from '../../core/schema/job-settings';

const TOKEN_KEY = 'djobs.token';

export const token = {
  get: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (t: string) => sessionStorage.setItem(TOKEN_KEY, t),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

/** A Databricks error body as an exception: `status` 401/403/404…, `code` e.g. PERMISSION_DENIED. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string
  ) {
    super(message);
  }
}

/** Called when the server no longer accepts the token (signed out elsewhere, server restarted). */
let onUnauthenticated: () => void = () => {};
export const setOnUnauthenticated = (f: () => void) => {
  onUnauthenticated = f;
};

type Query = Record<string, string | number | boolean | undefined>;

async function call<T>(method: 'GET' | 'POST', path: string, query: Query = {}, body?: unknown): Promise<T> {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') qs.set(k, String(v));
  const res = await fetch(`/api/${path}${qs.size ? `?${qs}` : ''}`, {
    method,
    headers: {
      authorization: `Bearer ${token.get() ?? ''}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const data = (await res.json().catch(() => ({}))) as { error_code?: string; message?: string };
  if (!res.ok) {
    if (res.status === 401) onUnauthenticated();
    throw new ApiError(res.status, data.error_code ?? String(res.status), data.message ?? res.statusText);
  }
  return data as T;
}

/**
 * A sign-in link's one-time code, exchanged for a session token of its principal (api/sign-in.ts),
 * which then signs the page in like a typed token.
 */
export async function exchangeSignInCode(code: string): Promise<string> {
  const res = await fetch('/ui/sign-in', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code }),
  });
  const data = (await res.json().catch(() => ({}))) as { token?: string; error_code?: string; message?: string };
  if (!res.ok || !data.token)
    throw new ApiError(res.status, data.error_code ?? String(res.status), data.message ?? res.statusText);
  return data.token;
}

export const get = <T>(path: string, query?: Query) => call<T>('GET', path, query);
export const post = <T>(path: string, body: unknown) => call<T>('POST', path, {}, body);

export interface Job {
  job_id: number;
  created_time: number;
  creator_user_name?: string;
  run_as_user_name?: string;
  settings: JobSettings;
}

export interface Me {
  userName: string;
  schemas: string[];
  groups: { display: string }[];
}

export interface AclEntry {
  user_name?: string;
  group_name?: string;
  service_principal_name?: string;
  all_permissions: { permission_level: string; inherited: boolean; inherited_from_object?: string[] }[];
}

export interface RunOutput {
  logs?: string;
  logs_truncated?: boolean;
  error?: string;
  error_trace?: string;
  notebook_output?: { result?: string };
  task_values?: Record<string, unknown>;
  /** durable-jobs extension: workers lost while running this attempt, with their logs' last lines. */
  djobs_lost_workers?: { host: string; process: string; last_heard_time: number; logs: string }[];
}

export type { Run, JobSettings };
export type RunTask = Run['tasks'][number];

/** Every job the principal may view (jobs/list pages of 100). */
export async function listAllJobs(): Promise<Job[]> {
  const jobs: Job[] = [];
  let page_token: string | undefined;
  do {
    const page = await get<{ jobs?: Job[]; next_page_token?: string }>('2.1/jobs/list', {
      limit: 100,
      expand_tasks: true,
      page_token,
    });
    jobs.push(...(page.jobs ?? []));
    page_token = page.next_page_token;
  } while (page_token && jobs.length < 5000);
  return jobs;
}
