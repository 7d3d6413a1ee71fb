// Pure decisions of the model trigger (Databricks `trigger.model`): which changes of the model
// registry start a run and when. The watcher workflow (workflows/model-trigger.ts) keeps this state
// durably and calls `observeModels` on every poll of the registry.

export type ModelCondition = 'MODEL_CREATED' | 'MODEL_VERSION_READY' | 'MODEL_ALIAS_SET';

/** One registered model as the registry reports it. */
export interface ObservedModel {
  name: string;
  /** Versions whose status is READY. */
  readyVersions: number[];
  /** alias → version. */
  aliases: Record<string, number>;
}

/** One update handed to a run (`{{job.trigger.model.updates}}`), in Databricks' shape. */
export interface ModelUpdate {
  full_name: string;
  version?: number;
  alias_name?: string;
}

export interface ModelWatch {
  condition: ModelCondition;
  /** Aliases watched with MODEL_ALIAS_SET. */
  aliases: string[];
  /** min_time_between_triggers_seconds, scaled (ms). */
  minBetweenMs: number;
  /** wait_after_last_change_seconds, scaled (ms). */
  waitAfterChangeMs: number;
}

export interface ModelTriggerState {
  /** What the registry showed at the last poll, as event keys (see `eventsOf`) → value. */
  seen: Record<string, string>;
  /** Updates not yet handed to a run, oldest first. */
  pending: ModelUpdate[];
  lastChangeAt: number;
  lastTriggerAt: number;
  baselined: boolean;
  triggers: number;
}

/** Databricks hands at most this many updates to one run; the rest wait for the next. */
export const MAX_UPDATES_PER_RUN = 9;

export const newModelTriggerState = (): ModelTriggerState => ({
  seen: {},
  pending: [],
  lastChangeAt: 0,
  lastTriggerAt: 0,
  baselined: false,
  triggers: 0,
});

/** The facts a condition watches, each with the update it stands for. */
function eventsOf(models: readonly ObservedModel[], watch: ModelWatch): Map<string, [string, ModelUpdate]> {
  const events = new Map<string, [string, ModelUpdate]>();
  for (const m of models) {
    switch (watch.condition) {
      case 'MODEL_CREATED':
        events.set(`model:${m.name}`, ['', { full_name: m.name }]);
        break;
      case 'MODEL_VERSION_READY':
        for (const v of m.readyVersions) events.set(`version:${m.name}/${v}`, ['', { full_name: m.name, version: v }]);
        break;
      case 'MODEL_ALIAS_SET':
        for (const alias of watch.aliases) {
          const v = m.aliases[alias];
          if (v !== undefined)
            events.set(`alias:${m.name}@${alias}`, [String(v), { full_name: m.name, version: v, alias_name: alias }]);
        }
        break;
      default: {
        const never: never = watch.condition;
        throw new Error(`unknown model trigger condition ${String(never)}`);
      }
    }
  }
  return events;
}

const sameTarget = (a: ModelUpdate, b: ModelUpdate) => a.full_name === b.full_name && a.alias_name === b.alias_name;

/**
 * One poll of the registry. What is there when watching begins is not an event. Afterwards a new
 * model, a new READY version, or a watched alias set or moved to another version is an update; an
 * alias moved again before its run started keeps only its latest version. Returns the updates that
 * start a run now (at most 9), or none: the registry must have been quiet for waitAfterChangeMs
 * and minBetweenMs must have passed since the last run. Call `markModelsTriggered` once it started.
 */
export function observeModels(
  state: ModelTriggerState,
  models: readonly ObservedModel[],
  now: number,
  watch: ModelWatch
): ModelUpdate[] {
  const events = eventsOf(models, watch);
  if (!state.baselined) {
    state.seen = Object.fromEntries([...events].map(([k, [v]]) => [k, v]));
    state.baselined = true;
    return [];
  }
  for (const k of Object.keys(state.seen)) if (!events.has(k)) delete state.seen[k];
  for (const [k, [value, update]] of events) {
    if (state.seen[k] === value) continue;
    state.seen[k] = value;
    state.pending = [...state.pending.filter((p) => !(update.alias_name && sameTarget(p, update))), update];
    state.lastChangeAt = now;
  }
  if (state.pending.length === 0) return [];
  if (now - state.lastChangeAt < watch.waitAfterChangeMs) return [];
  if (state.triggers > 0 && now - state.lastTriggerAt < watch.minBetweenMs) return [];
  return state.pending.slice(0, MAX_UPDATES_PER_RUN);
}

/** The run for `updates` (the first pending ones) has started. */
export function markModelsTriggered(state: ModelTriggerState, updates: readonly ModelUpdate[], now: number): void {
  state.pending = state.pending.slice(updates.length);
  state.lastTriggerAt = now;
  state.triggers++;
}

/** What a model trigger watches: which models, which condition, which aliases. */
export interface ModelWatchTarget {
  scope: string;
  condition: ModelCondition;
  aliases: readonly string[];
}

/** Two configurations watch the same thing (alias order aside). */
export const sameModelWatch = (a: ModelWatchTarget, b: ModelWatchTarget): boolean =>
  JSON.stringify([a.scope, a.condition, [...a.aliases].sort()]) ===
  JSON.stringify([b.scope, b.condition, [...b.aliases].sort()]);

/**
 * The state after a reconfiguration: a change of what is watched starts from what the registry
 * holds then, like a new trigger, but keeps counting triggers (run ids derive from the count).
 */
export function reconfiguredModelState(
  state: ModelTriggerState,
  previous: ModelWatchTarget,
  next: ModelWatchTarget
): ModelTriggerState {
  return sameModelWatch(previous, next) ? state : { ...newModelTriggerState(), triggers: state.triggers };
}
