// Whether a process can serve (`GET /readyz` of the API and of a worker): Temporal answers within a
// few seconds, the namespace is set up (client/temporal-setup.ts), and the key ring is loaded.
import type { ConnectionLike } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import type { KeyRing } from '../encryption/key-ring';
import { missingSetup } from './temporal-setup';

export interface Readiness {
  ready: boolean;
  /** Why not, in one sentence (absent when ready). */
  reason?: string;
  /** What was checked: `temporal`, `namespace`, `key_ring` (and a worker's `worker`), each `ok` or the problem. */
  checks: Record<string, string>;
}

/** How long a readiness probe waits for Temporal before it calls it unreachable. */
export const READINESS_TIMEOUT_MS = 3_000;

/**
 * Readiness of a process connected to Temporal with `connection`. `keyRing`: the ring its data
 * converter encrypts with, or `'off'` when DJOBS_ENCRYPTION=off.
 */
export async function temporalReadiness(
  connection: ConnectionLike | NativeConnection,
  namespace: string,
  keyRing: KeyRing | 'off' | undefined
): Promise<Readiness> {
  const checks: Record<string, string> = {};
  checks.key_ring =
    keyRing === 'off'
      ? 'ok (encryption off)'
      : keyRing && keyRing.keys.length > 0
        ? `ok (${keyRing.keys.length} key${keyRing.keys.length > 1 ? 's' : ''}, primary ${keyRing.keys.at(-1)!.id})`
        : 'no key ring loaded';
  try {
    const missing = await connection.withDeadline(Date.now() + READINESS_TIMEOUT_MS, () =>
      missingSetup(connection, namespace)
    );
    checks.temporal = 'ok';
    checks.namespace = missing ?? 'ok';
  } catch (err) {
    checks.temporal = `unreachable: ${(err as Error).message}`;
    checks.namespace = 'unknown';
  }
  return fromChecks(checks);
}

/** The readiness of a set of checks: ready when each is `ok…`, else the first problem is the reason. */
export function fromChecks(checks: Record<string, string>): Readiness {
  const problem = Object.entries(checks).find(([, value]) => !value.startsWith('ok'));
  return problem ? { ready: false, reason: `${problem[0]}: ${problem[1]}`, checks } : { ready: true, checks };
}
