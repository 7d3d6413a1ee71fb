// The load generator's process (started by bench/load-generator.ts): HTTP requests from keep-alive
// connections of undici's `Pool`, timed here, so that the server measured has its event loop to
// itself, as deployed. undici's `request` is the HTTP/1.1 client Node's own `fetch` is built on,
// without fetch's WHATWG Request/Response and streams: the least client work per request short
// of writing raw HTTP, so the generator takes as little as it can of the cores it shares.
import { Pool } from 'undici';
import type { LoadReport, LoadSpec } from './load-generator';

async function measure(spec: LoadSpec): Promise<LoadReport> {
  const url = new URL(spec.url);
  const pool = new Pool(url.origin, { connections: spec.concurrency, pipelining: 1 });
  const options = {
    path: `${url.pathname}${url.search}`,
    method: spec.body === undefined ? ('GET' as const) : ('POST' as const),
    headers: spec.headers,
    ...(spec.body !== undefined ? { body: spec.body } : {}),
  };
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  const start = performance.now();
  const end = spec.seconds !== undefined ? start + spec.seconds * 1000 : Infinity;
  let left = spec.requests ?? Infinity;
  try {
    await Promise.all(
      Array.from({ length: spec.concurrency }, async () => {
        while (performance.now() < end && left-- > 0) {
          const t0 = performance.now();
          let status = 0;
          try {
            const res = await pool.request(options);
            await res.body.dump({ limit: Infinity });
            status = res.statusCode;
          } catch {
            status = 0; // a connection error: counted, and the loop goes on
          }
          latencies.push(performance.now() - t0);
          statuses[status] = (statuses[status] ?? 0) + 1;
          if (status !== 200) errors++;
        }
      })
    );
  } finally {
    await pool.close();
  }
  return { latencies, seconds: (performance.now() - start) / 1000, errors, statuses };
}

process.on('message', (spec: LoadSpec) => {
  measure(spec).then(
    (report) => process.send!(report),
    (err: unknown) => process.send!({ failed: String(err) })
  );
});
// The bench gone (finished, or killed), nothing is left to measure for.
process.on('disconnect', () => process.exit(0));
