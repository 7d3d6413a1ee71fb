// Builds the web UI (ui/) into dist/ui with esbuild: one hashed bundle for the page, one for the
// DAG layout worker, one stylesheet, and index.html pointing at them. No CDN: everything the page
// loads is served by the API server itself (api/web-ui.ts).
import fs from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

const root = path.resolve(__dirname, '..', '..');
const outdir = path.join(root, 'dist', 'ui');

async function main(): Promise<void> {
  fs.rmSync(outdir, { recursive: true, force: true });
  const result = await build({
    entryPoints: {
      app: path.join(root, 'ui/src/main.tsx'),
      'layout-worker': path.join(root, 'ui/src/layout-worker.ts'),
    },
    outdir,
    entryNames: '[name]-[hash]',
    bundle: true,
    minify: true,
    sourcemap: 'linked',
    format: 'esm',
    target: ['chrome110', 'firefox115', 'safari16'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    tsconfig: path.join(root, 'ui/tsconfig.json'),
    metafile: true,
    legalComments: 'linked',
    logLevel: 'warning',
  });
  const outputs = Object.keys(result.metafile.outputs).map(
    (f) => `/ui/${path.relative(outdir, path.resolve(root, f))}`
  );
  const find = (re: RegExp) => {
    const f = outputs.find((o) => re.test(o));
    if (!f) throw new Error(`build-ui: no output matches ${re}`);
    return f;
  };
  const tags = [
    `<meta name="djobs-layout-worker" content="${find(/\/layout-worker-\w+\.js$/)}" />`,
    `<link rel="stylesheet" href="${find(/\/app-\w+\.css$/)}" />`,
    `<script type="module" src="${find(/\/app-\w+\.js$/)}"></script>`,
  ].join('\n    ');
  const html = fs.readFileSync(path.join(root, 'ui/index.html'), 'utf8').replace('<!--assets-->', tags);
  fs.writeFileSync(path.join(outdir, 'index.html'), html);
  const size = (re: RegExp) => fs.statSync(path.join(outdir, path.basename(find(re)))).size;
  console.log(
    `web UI built into dist/ui (app ${(size(/\/app-\w+\.js$/) / 1024).toFixed(0)} KiB, layout worker ${(size(/\/layout-worker-\w+\.js$/) / 1024).toFixed(0)} KiB)`
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
