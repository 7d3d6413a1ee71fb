// TLS (or mTLS) to the Temporal frontend from TEMPORAL_TLS_* (docs/security.md), the same options
// for the client's and the worker's connection.
import fs from 'node:fs';
import type { TLSConfig } from '@temporalio/client';
import { invalidConfiguration, type DjobsConfig } from './index';

export function temporalTls(config: DjobsConfig): TLSConfig | undefined {
  const t = config.temporalTls;
  if (!t) return undefined;
  const read = (file: string, what: string) => {
    try {
      return fs.readFileSync(file);
    } catch (err) {
      throw invalidConfiguration(`cannot read ${what} ${file}: ${(err as Error).message}`);
    }
  };
  return {
    ...(t.serverName ? { serverNameOverride: t.serverName } : {}),
    ...(t.ca ? { serverRootCACertificate: read(t.ca, 'TEMPORAL_TLS_CA') } : {}),
    ...(t.cert && t.key
      ? { clientCertPair: { crt: read(t.cert, 'TEMPORAL_TLS_CERT'), key: read(t.key, 'TEMPORAL_TLS_KEY') } }
      : {}),
  };
}

/** The options every connection to Temporal takes from the configuration. */
export function connectionOptions(config: DjobsConfig, address: string): { address: string; tls?: TLSConfig } {
  const tls = temporalTls(config);
  return { address, ...(tls ? { tls } : {}) };
}
