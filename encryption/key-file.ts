// Which key ring a process uses (docs/security.md): DJOBS_ENCRYPTION_KEYS, else the key file
// (DJOBS_ENCRYPTION_KEY_FILE, default $DJOBS_HOME/encryption-keys). `djobs dev` and embedded
// sessions create the default key file on first start; every other process fails closed without
// a key, because a key made up on one host would make its payloads unreadable on the others.
import fs from 'node:fs';
import path from 'node:path';
import type { DataConverter } from '@temporalio/common';
import { djobsDataConverter } from './data-converter';
import { generateKeyLine, parseKeyRing, type KeyRing } from './key-ring';

/** The encryption settings of a process (`DjobsConfig.encryption`, read from the environment by config/). */
export interface EncryptionSettings {
  /** DJOBS_ENCRYPTION: off writes payloads in the clear. */
  enabled: boolean;
  /** DJOBS_ENCRYPTION_KEYS: the key ring inline; wins over the key file. */
  keys?: string;
  /** DJOBS_ENCRYPTION_KEY_FILE, default $DJOBS_HOME/encryption-keys. */
  keyFile: string;
}

export function loadKeyRing(
  config: { encryption: EncryptionSettings },
  opts: { createIfMissing: boolean }
): KeyRing | undefined {
  const { encryption } = config;
  if (!encryption.enabled) return undefined;
  if (encryption.keys) return parseKeyRing(encryption.keys, 'DJOBS_ENCRYPTION_KEYS');
  if (!fs.existsSync(encryption.keyFile)) {
    if (!opts.createIfMissing)
      throw new Error(
        `No encryption key: ${encryption.keyFile} does not exist. Set DJOBS_ENCRYPTION_KEY_FILE or DJOBS_ENCRYPTION_KEYS to the key ring every djobs process shares, start \`djobs dev\` once to create one, or set DJOBS_ENCRYPTION=off.`
      );
    createKeyFile(encryption.keyFile);
  }
  return parseKeyRing(fs.readFileSync(encryption.keyFile, 'utf8'), encryption.keyFile);
}

/** The data converter of this process's connections (encrypting unless DJOBS_ENCRYPTION=off). */
export function dataConverterFor(
  config: { encryption: EncryptionSettings },
  opts: { createIfMissing: boolean }
): DataConverter {
  return djobsDataConverter(loadKeyRing(config, opts));
}

function createKeyFile(file: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const id = `k${new Date().toISOString().slice(0, 10).replaceAll('-', '')}`;
  const body = `# durable-jobs payload encryption keys, oldest first; the last one encrypts.\n# Rotate: append a new line (any unique id), restart every process. Keep old lines while runs use them.\n${generateKeyLine(id)}\n`;
  // 'wx': two processes starting at once must not overwrite each other's key.
  try {
    fs.writeFileSync(file, body, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}
