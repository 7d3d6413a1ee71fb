// `djobs ui`: a fresh sign-in link to the web UI of the running `djobs dev` (or, with --url, of a
// `djobs api` server, as the principal of DJOBS_API_TOKEN), printed and with --open opened in the
// browser; --token shows the dev admin token, --rotate-token replaces it (api/sign-in.ts).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { ADMIN_TOKEN_ROTATE_PATH, SIGN_IN_LINKS_PATH, readAdminTokenFile, signInLinkPath } from '../../api/sign-in';
import { DjobsError } from '../../client';
import { loadConfig } from '../../config';
import { readLiveDevState } from '../../servers/dev-server';
import { runCommand } from '../output';

/** Where `djobs dev` keeps its admin token when DJOBS_API_TOKEN does not choose one. */
export const devAdminTokenFile = (home: string) => path.join(home, 'admin-token');

/** An API server's answer to a POST with `token`, or its error as a DjobsError. */
async function postAs<T>(base: string, route: string, token: string): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${base.replace(/\/$/, '')}${route}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{}',
    });
  } catch (err) {
    throw new DjobsError('INVALID_STATE', `Cannot reach the durable-jobs API at ${base}: ${String(err)}`);
  }
  const body = (await res.json().catch(() => ({}))) as T & { error_code?: string; message?: string };
  if (!res.ok)
    throw new DjobsError(
      res.status === 401 ? 'UNAUTHENTICATED' : res.status === 403 ? 'PERMISSION_DENIED' : 'INVALID_STATE',
      `${base}${route}: ${body.message ?? res.statusText}`
    );
  return body;
}

/** A one-time sign-in link of the principal of `token` to the web UI at `base`. */
export async function mintSignInLink(base: string, token: string): Promise<{ url: string; expiresAt: number }> {
  const { code, expires_at } = await postAs<{ code: string; expires_at: number }>(base, SIGN_IN_LINKS_PATH, token);
  return { url: `${base.replace(/\/$/, '')}${signInLinkPath(code)}`, expiresAt: expires_at };
}

/** The browser of this desktop, if it has one. */
function openInBrowser(url: string): void {
  const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  const child = spawn(opener, [url], { stdio: 'ignore', detached: true });
  child.on('error', () => process.stderr.write(`Could not start ${opener}: open the link yourself.\n`));
  child.unref();
}

export function configureUiCommand(program: Command): void {
  program
    .command('ui')
    .description('Print (or --open) a one-time sign-in link to the web UI of the running djobs dev')
    .option('--open', 'also open the link in the browser')
    .option('--url <url>', 'the web UI of a djobs api server instead; signs in as DJOBS_API_TOKEN')
    .option('--token', 'print the dev admin token instead (the API token of DJOBS_API_TOKEN or DJOBS_HOME/admin-token)')
    .option('--rotate-token', 'replace the dev admin token: the old one, its sessions and unused links stop working')
    .action(async (opts: { open?: boolean; url?: string; token?: boolean; rotateToken?: boolean }) =>
      runCommand(async () => {
        const config = loadConfig();
        const envToken =
          process.env.DJOBS_API_TOKEN ||
          (process.env.DJOBS_API_TOKEN_FILE ? fs.readFileSync(process.env.DJOBS_API_TOKEN_FILE, 'utf8').trim() : '');
        let base = opts.url;
        if (!base) {
          const live = await readLiveDevState(config.home);
          if (!live?.webUiUrl)
            throw new DjobsError(
              'INVALID_STATE',
              `No djobs dev with a web UI is running for DJOBS_HOME ${config.home}: start \`djobs dev\`, or name a djobs api server with --url.`
            );
          base = live.webUiUrl;
        } else if (!envToken) {
          throw new DjobsError('INVALID_PARAMETER_VALUE', `--url: set DJOBS_API_TOKEN to your token of ${base}.`);
        }
        const token = envToken || readAdminTokenFile(devAdminTokenFile(config.home));
        if (!token)
          throw new DjobsError(
            'INVALID_STATE',
            `No admin token: DJOBS_API_TOKEN is unset and ${devAdminTokenFile(config.home)} does not exist.`
          );
        if (opts.token) {
          process.stdout.write(`${token}\n`);
          return;
        }
        if (opts.rotateToken) {
          if (envToken)
            throw new DjobsError(
              'INVALID_PARAMETER_VALUE',
              'The admin token comes from DJOBS_API_TOKEN: change it there (only the token djobs dev keeps in DJOBS_HOME/admin-token can be rotated).'
            );
          const { token: rotated } = await postAs<{ token: string }>(base, ADMIN_TOKEN_ROTATE_PATH, token);
          process.stdout.write(`${rotated}\n`);
          return;
        }
        const { url, expiresAt } = await mintSignInLink(base, token);
        process.stdout.write(`${url}\n`);
        process.stderr.write(`One use, until ${new Date(expiresAt).toISOString()}.\n`);
        if (opts.open) openInBrowser(url);
      })
    );
}
