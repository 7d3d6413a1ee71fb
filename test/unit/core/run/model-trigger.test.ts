import { describe, expect, it } from 'vitest';
import {
  markModelsTriggered,
  newModelTriggerState,
  observeModels,
  reconfiguredModelState,
  sameModelWatch,
  type ModelWatch,
  type ObservedModel,
} from '../../../../core';

const watch = (condition: ModelWatch['condition'], extra: Partial<ModelWatch> = {}): ModelWatch => ({
  condition,
  aliases: [],
  minBetweenMs: 0,
  waitAfterChangeMs: 0,
  ...extra,
});
const model = (name: string, readyVersions: number[], aliases: Record<string, number> = {}): ObservedModel => ({
  name,
  readyVersions,
  aliases,
});

/** Observe, and mark what fired as triggered (as the workflow does once the run started). */
const poll = (state: ReturnType<typeof newModelTriggerState>, models: ObservedModel[], now: number, w: ModelWatch) => {
  const fired = observeModels(state, models, now, w);
  if (fired.length > 0) markModelsTriggered(state, fired, now);
  return fired;
};

describe('model trigger', () => {
  it('MODEL_VERSION_READY: what is there at first is no event; each new READY version fires once', () => {
    const s = newModelTriggerState();
    const w = watch('MODEL_VERSION_READY');
    expect(poll(s, [model('churn', [1, 2])], 0, w)).toEqual([]);
    expect(poll(s, [model('churn', [1, 2])], 1, w)).toEqual([]);
    expect(poll(s, [model('churn', [1, 2, 3])], 2, w)).toEqual([{ full_name: 'churn', version: 3 }]);
    expect(poll(s, [model('churn', [1, 2, 3])], 3, w)).toEqual([]);
    // Two versions and a second model between polls: one run with both.
    expect(poll(s, [model('churn', [1, 2, 3, 4]), model('fraud', [1])], 4, w)).toEqual([
      { full_name: 'churn', version: 4 },
      { full_name: 'fraud', version: 1 },
    ]);
    expect(s.triggers).toBe(2);
  });

  it('MODEL_CREATED fires for new models only', () => {
    const s = newModelTriggerState();
    const w = watch('MODEL_CREATED');
    expect(poll(s, [model('a', [1])], 0, w)).toEqual([]);
    expect(poll(s, [model('a', [1, 2]), model('b', [])], 1, w)).toEqual([{ full_name: 'b' }]);
    expect(poll(s, [model('a', [1, 2]), model('b', [1])], 2, w)).toEqual([]);
  });

  it('MODEL_ALIAS_SET: a watched alias set or moved fires; others and unchanged aliases do not', () => {
    const s = newModelTriggerState();
    const w = watch('MODEL_ALIAS_SET', { aliases: ['champion'] });
    expect(poll(s, [model('m', [1, 2], { champion: 1 })], 0, w)).toEqual([]);
    expect(poll(s, [model('m', [1, 2], { champion: 1, staging: 2 })], 1, w)).toEqual([]);
    expect(poll(s, [model('m', [1, 2], { champion: 2 })], 2, w)).toEqual([
      { full_name: 'm', version: 2, alias_name: 'champion' },
    ]);
    // Removed, then set again to the same version: set again.
    expect(poll(s, [model('m', [1, 2])], 3, w)).toEqual([]);
    expect(poll(s, [model('m', [1, 2], { champion: 2 })], 4, w)).toEqual([
      { full_name: 'm', version: 2, alias_name: 'champion' },
    ]);
  });

  it('waits for quiet and for the minimum time between runs; an alias moved twice meanwhile counts once', () => {
    const s = newModelTriggerState();
    const w = watch('MODEL_ALIAS_SET', { aliases: ['prod'], waitAfterChangeMs: 100, minBetweenMs: 1000 });
    poll(s, [model('m', [1, 2, 3])], 0, w);
    expect(poll(s, [model('m', [1, 2, 3], { prod: 1 })], 10, w)).toEqual([]);
    expect(poll(s, [model('m', [1, 2, 3], { prod: 2 })], 50, w)).toEqual([]);
    expect(poll(s, [model('m', [1, 2, 3], { prod: 2 })], 149, w)).toEqual([]);
    expect(poll(s, [model('m', [1, 2, 3], { prod: 2 })], 150, w)).toEqual([
      { full_name: 'm', version: 2, alias_name: 'prod' },
    ]);
    expect(poll(s, [model('m', [1, 2, 3], { prod: 3 })], 300, w)).toEqual([]);
    expect(poll(s, [model('m', [1, 2, 3], { prod: 3 })], 1149, w)).toEqual([]);
    expect(poll(s, [model('m', [1, 2, 3], { prod: 3 })], 1150, w)).toEqual([
      { full_name: 'm', version: 3, alias_name: 'prod' },
    ]);
  });

  it('hands at most 9 updates to one run; the rest go to the next', () => {
    const s = newModelTriggerState();
    const w = watch('MODEL_VERSION_READY');
    poll(s, [model('m', [])], 0, w);
    const twelve = Array.from({ length: 12 }, (_, i) => i + 1);
    expect(poll(s, [model('m', twelve)], 1, w).map((u) => u.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(poll(s, [model('m', twelve)], 2, w).map((u) => u.version)).toEqual([10, 11, 12]);
    expect(poll(s, [model('m', twelve)], 3, w)).toEqual([]);
  });
});

describe('reconfiguring a model trigger', () => {
  const target = { scope: 'main.ml', condition: 'MODEL_ALIAS_SET' as const, aliases: ['prod', 'staging'] };

  it('the same watch (aliases in any order) keeps what was seen', () => {
    const state = { ...newModelTriggerState(), baselined: true, triggers: 3, seen: { 'alias:m@prod': '1' } };
    const same = { ...target, aliases: ['staging', 'prod'] };
    expect(sameModelWatch(target, same)).toBe(true);
    expect(reconfiguredModelState(state, target, same)).toBe(state);
  });

  it('another scope, condition or alias starts afresh from the registry but keeps counting triggers', () => {
    const state = { ...newModelTriggerState(), baselined: true, triggers: 3, seen: { 'alias:m@prod': '1' } };
    for (const next of [
      { ...target, scope: 'main.other' },
      { ...target, condition: 'MODEL_CREATED' as const },
      { ...target, aliases: ['prod'] },
    ]) {
      expect(sameModelWatch(target, next)).toBe(false);
      expect(reconfiguredModelState(state, target, next)).toEqual({ ...newModelTriggerState(), triggers: 3 });
    }
  });
});
