// Cost of payload encryption per payload (AES-256-GCM codec): what every workflow start, activity
// input and result pays. Run: npm run build && node dist/bench/codec.js
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { AesGcmPayloadCodec } from '../encryption/aes-gcm-codec';
import { generateKeyLine, parseKeyRing } from '../encryption/key-ring';

async function main(): Promise<void> {
  const codec = new AesGcmPayloadCodec(parseKeyRing(generateKeyLine('bench'), 'bench'));
  for (const [size, n] of [
    [1024, 20_000],
    [64 * 1024, 2_000],
  ] as const) {
    const plain = defaultPayloadConverter.toPayload({ s: 'x'.repeat(size) });
    let sealed: Payload[] = [];
    let t = process.hrtime.bigint();
    for (let i = 0; i < n; i++) sealed = await codec.encode([plain]);
    const encodeUs = Number(process.hrtime.bigint() - t) / 1e3 / n;
    t = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await codec.decode(sealed);
    const decodeUs = Number(process.hrtime.bigint() - t) / 1e3 / n;
    // IV, tag and the serialized metadata of the plain payload.
    const overhead = sealed[0]!.data!.length - plain.data!.length;
    console.log(
      `${size / 1024} KiB payload: encode ${encodeUs.toFixed(1)} µs, decode ${decodeUs.toFixed(1)} µs, ${overhead} bytes larger`
    );
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
