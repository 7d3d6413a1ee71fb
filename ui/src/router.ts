// Hash routes, so the server serves one file and a link to a run is `/#/runs/<run_id>`:
//   #/                jobs          #/jobs/<job_id>      job
//   #/runs?job_id=…   runs          #/runs/<run_id>?task=<task_key>   run (and a task of it)
//   #/sign-in?code=…  a sign-in link (its code is exchanged, then the page shows the jobs)
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { page: 'jobs' }
  | { page: 'job'; jobId: number; tab: string }
  | { page: 'runs'; query: URLSearchParams }
  | { page: 'run'; runId: number; task: string | undefined };

export function parseRoute(hash: string): Route {
  const [path = '', q = ''] = hash.replace(/^#/, '').split('?');
  const query = new URLSearchParams(q);
  let m = /^\/jobs\/(\d+)$/.exec(path);
  if (m) return { page: 'job', jobId: Number(m[1]), tab: query.get('tab') ?? 'overview' };
  m = /^\/runs\/(\d+)$/.exec(path);
  if (m) return { page: 'run', runId: Number(m[1]), task: query.get('task') ?? undefined };
  if (path === '/runs') return { page: 'runs', query };
  return { page: 'jobs' };
}

/** The code of a sign-in link (`#/sign-in?code=…`), if the page was opened with one. */
export function signInCodeOf(hash: string): string | undefined {
  const [path = '', q = ''] = hash.replace(/^#/, '').split('?');
  return path === '/sign-in' ? (new URLSearchParams(q).get('code') ?? undefined) : undefined;
}

export const href = {
  jobs: () => '#/',
  job: (id: number, tab?: string) => `#/jobs/${id}${tab ? `?tab=${tab}` : ''}`,
  runs: (q: Record<string, string | number | undefined> = {}) => {
    const s = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== '') s.set(k, String(v));
    return `#/runs${s.size ? `?${s}` : ''}`;
  },
  run: (id: number, task?: string) => `#/runs/${id}${task ? `?task=${encodeURIComponent(task)}` : ''}`,
};

export const go = (to: string) => {
  location.hash = to.replace(/^#/, '');
};

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}
