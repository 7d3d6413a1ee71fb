// Every field of the official Python SDK's jobs objects (the pinned release) is classified in
// core/schema/field-classes.ts, and every classified field is the SDK's (or says why not): a field
// a new SDK release adds fails this test until someone decides whether it acts, is kept or is refused.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { OBJECT_FIELDS, SDK_NAMES, type ObjectName } from '../../core';
import { ensurePythonSdk, pythonSdkDir } from '../helpers/compat';

describe('field classes against the official Python SDK', () => {
  let sdk: Record<string, string[]>;
  beforeAll(() => {
    ensurePythonSdk();
    const names = Object.values(SDK_NAMES).flat();
    const script = path.resolve(__dirname, '..', 'compat', 'sdk_fields.py');
    const out = execFileSync('python3', [script, JSON.stringify(names)], {
      env: { ...process.env, PYTHONPATH: pythonSdkDir },
      encoding: 'utf8',
    });
    sdk = JSON.parse(out) as Record<string, string[]>;
  }, 240_000);

  it.each(Object.keys(OBJECT_FIELDS))(
    '%s: every SDK field is classified, and every classified field is the SDK’s',
    (name) => {
      const object = name as ObjectName;
      const sdkFields = new Set(SDK_NAMES[object].flatMap((n) => sdk[n] ?? []));
      const rules = OBJECT_FIELDS[object];
      expect(
        [...sdkFields].filter((f) => rules[f] === undefined),
        'unclassified'
      ).toEqual([]);
      expect(
        Object.entries(rules)
          .filter(([f, r]) => !sdkFields.has(f) && r.outsideSdk === undefined)
          .map(([f]) => f),
        'not in the SDK'
      ).toEqual([]);
      expect(
        Object.entries(rules)
          .filter(([f, r]) => sdkFields.has(f) && r.outsideSdk !== undefined)
          .map(([f]) => f),
        'in the SDK but marked outside it'
      ).toEqual([]);
    }
  );
});
