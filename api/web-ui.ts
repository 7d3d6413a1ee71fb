// The jobs web UI (ui/, built into dist/ui by `npm run build`) served as static files at `/` on the
// API's port. The page is a client of the public REST API like any other: these routes serve
// files only, need no token (the page signs in by sending one with each API call) and expose
// nothing the API does not; beside them, the exchange of a sign-in link's code (api/sign-in.ts).
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { registerSignIn, type SignInOptions } from './sign-in';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.map': 'application/json',
};

/** dist/ui of this package, whether this module runs from dist/api or from the sources (tests). */
export function builtUiDir(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return path.join(dir, 'dist', 'ui');
}

/** Paths the web UI serves; every other path (the API) needs a token. */
export const isWebUiPath = (url: string): boolean => url === '/' || url.startsWith('/?') || url.startsWith('/ui/');

export interface WebUiOptions {
  /** @default builtUiDir() */
  dir?: string;
  /** Base URL of the Temporal Web UI for "open in Temporal" links, e.g. http://localhost:8233/namespaces/default. */
  temporalUi?: string;
  /** Sign-in links (api/sign-in.ts): the tokens their sessions join, the dev admin token's file. */
  signIn?: SignInOptions;
}

export function registerWebUi(app: FastifyInstance, opts: WebUiOptions = {}): void {
  const dir = opts.dir ?? builtUiDir();
  if (opts.signIn) registerSignIn(app, opts.signIn);
  const security = {
    // The page loads only its own files and talks only to this origin.
    'content-security-policy':
      "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'same-origin',
  };
  app.get('/', async (_req, reply) => {
    const index = path.join(dir, 'index.html');
    if (!fs.existsSync(index))
      return reply.status(404).type('text/plain').send('The web UI is not built: run `npm run build`.');
    let html = fs.readFileSync(index, 'utf8');
    if (opts.temporalUi)
      html = html.replace('<head>', `<head><meta name="djobs-temporal-ui" content="${escapeAttr(opts.temporalUi)}">`);
    return reply
      .headers({ ...security, 'cache-control': 'no-cache' })
      .type(CONTENT_TYPES['.html']!)
      .send(html);
  });
  app.get('/ui/*', async (req, reply) => {
    const rel = (req.params as { '*': string })['*'];
    const file = path.resolve(dir, rel);
    if (!file.startsWith(dir + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile())
      return reply.status(404).type('text/plain').send('Not found');
    // Bundles carry a content hash in their names: they never change under the same URL.
    const immutable = /-[A-Z0-9]{8}\.(js|css)$/.test(file);
    return reply
      .headers({ ...security, 'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache' })
      .type(CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream')
      .send(fs.createReadStream(file));
  });
}

const escapeAttr = (s: string) =>
  s.replace(/[&"<>]/g, (c) => ({ '&': '&amp;', '"': '&quot;', '<': '&lt;', '>': '&gt;' })[c]!);
