// The one place that builds the data converter of every durable-jobs connection: clients (CLI,
// API, services), workers and the codec server all call `djobsDataConverter`.
import fs from 'node:fs';
import path from 'node:path';
import type { DataConverter, LoadedDataConverter } from '@temporalio/common';
import { AesGcmPayloadCodec } from './aes-gcm-codec';
import type { KeyRing } from './key-ring';

/**
 * Payloads encrypted with the ring's newest key (none when encryption is off: payloads stay
 * plain), failure messages and stack traces encoded into payloads so they are encrypted too.
 */
export function djobsDataConverter(
  ring: KeyRing | undefined,
  options: { refusePlaintext?: boolean } = {}
): DataConverter {
  return {
    payloadCodecs: ring ? [new AesGcmPayloadCodec(ring, options)] : [],
    failureConverterPath: failureConverterModulePath(),
  };
}

/**
 * The SDK `require()`s the failure converter by path: the compiled module beside this one (dist/),
 * else the build output of the sources (tests run sources), else the source (under tsx).
 */
export function failureConverterModulePath(): string {
  const candidates = [
    path.join(__dirname, '..', 'workflows', 'failure-converter.js'),
    path.join(__dirname, '..', 'dist', 'workflows', 'failure-converter.js'),
  ];
  return candidates.find((p) => fs.existsSync(p)) ?? path.join(__dirname, '..', 'workflows', 'failure-converter.ts');
}

/**
 * A worker's data converter: with encryption on, payloads that are not encrypted are refused
 * (decoded into a marker the workflows fail on) unless `acceptPlaintext`, the migration switch for
 * runs written before encryption was turned on.
 */
export function workerDataConverter(converter: DataConverter, acceptPlaintext: boolean): DataConverter {
  const ring = keyRingOf(converter);
  return ring && !acceptPlaintext
    ? { ...converter, payloadCodecs: [new AesGcmPayloadCodec(ring, { refusePlaintext: true })] }
    : converter;
}

/** The key ring of a connection's payload codec (undefined when encryption is off): sealed records use it. */
export function keyRingOf(converter: Pick<LoadedDataConverter, 'payloadCodecs'> | DataConverter): KeyRing | undefined {
  return converter.payloadCodecs?.find((c) => c instanceof AesGcmPayloadCodec)?.ring;
}
