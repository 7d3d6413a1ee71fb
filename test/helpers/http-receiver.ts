// A real HTTP receiver on loopback (port 0) for the notification senders: it records every request
// and answers from a script of statuses (then 200), like a webhook endpoint that fails a few
// times and recovers. Requests are awaited by count, never by sleeping.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: unknown;
  /** The status this request was answered with. */
  status: number;
}

export interface HttpReceiver {
  /** `http://127.0.0.1:<port>` */
  base: string;
  requests: ReceivedRequest[];
  /** Answer the next requests with these statuses (then 200), e.g. `[500, 500]`. */
  failNext(statuses: number[], body?: string): void;
  /** Resolves when `n` requests have arrived; rejects after `timeoutMs`. */
  waitForRequests(n: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  close(): Promise<void>;
}

export async function startHttpReceiver(okBody = 'ok', okStatus = 200): Promise<HttpReceiver> {
  const requests: ReceivedRequest[] = [];
  const script: { status: number; body: string }[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // kept as text
      }
      const next = script.shift() ?? { status: okStatus, body: okBody };
      requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, status: next.status });
      res.writeHead(next.status, { 'content-type': 'text/plain' }).end(next.body);
      for (const w of waiters.filter((w) => requests.length >= w.n)) w.resolve();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    requests,
    failNext(statuses, body = 'receiver failure') {
      script.push(...statuses.map((status) => ({ status, body })));
    },
    waitForRequests(n, timeoutMs = 30_000) {
      if (requests.length >= n) return Promise.resolve(requests);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`expected ${n} requests, received ${requests.length} within ${timeoutMs} ms`)),
          timeoutMs
        );
        waiters.push({
          n,
          resolve: () => {
            clearTimeout(timer);
            resolve(requests);
          },
        });
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
