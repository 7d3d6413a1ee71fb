// Pure decisions of the trigger workflows: which new files start a file-arrival run and when, and
// how long a continuous job waits after failures. The workflows (workflows/triggers.ts) keep this
// state durably and call these on every poll or run.

export interface ArrivedFile {
  path: string;
  size: number;
  modifiedMs: number;
}

export interface FileArrivalTiming {
  /** min_time_between_triggers_seconds, scaled (ms). */
  minBetweenMs: number;
  /** wait_after_last_change_seconds, scaled (ms). */
  waitAfterChangeMs: number;
}

export interface FileArrivalState {
  /** Files already handed to a run (or present when watching began): path → size:mtime. */
  seen: Record<string, string>;
  /** New files not yet handed to a run. */
  pending: Record<string, string>;
  lastChangeAt: number;
  lastTriggerAt: number;
  baselined: boolean;
  triggers: number;
}

export const newFileArrivalState = (): FileArrivalState => ({
  seen: {},
  pending: {},
  lastChangeAt: 0,
  lastTriggerAt: 0,
  baselined: false,
  triggers: 0,
});

const fingerprint = (f: ArrivedFile) => `${f.size}:${f.modifiedMs}`;

/**
 * One listing of the location. Returns the files that should start a run now (sorted), or
 * nothing: files present when watching began are not arrivals; a new file waits until the
 * location has been quiet for waitAfterChangeMs (a file still being written keeps changing) and
 * until minBetweenMs has passed since the last trigger. A file that disappears and comes back is
 * a new arrival. Call `markTriggered` once the run has started.
 */
export function observeFiles(
  state: FileArrivalState,
  files: readonly ArrivedFile[],
  now: number,
  timing: FileArrivalTiming
): string[] {
  if (!state.baselined) {
    for (const f of files) state.seen[f.path] = fingerprint(f);
    state.baselined = true;
    return [];
  }
  const present = new Set(files.map((f) => f.path));
  for (const p of Object.keys(state.seen)) if (!present.has(p)) delete state.seen[p];
  for (const p of Object.keys(state.pending)) if (!present.has(p)) delete state.pending[p];
  for (const f of files) {
    if (state.seen[f.path] !== undefined) continue;
    if (state.pending[f.path] !== fingerprint(f)) {
      state.pending[f.path] = fingerprint(f);
      state.lastChangeAt = now;
    }
  }
  const arrived = Object.keys(state.pending).sort();
  if (arrived.length === 0) return [];
  if (now - state.lastChangeAt < timing.waitAfterChangeMs) return [];
  if (state.triggers > 0 && now - state.lastTriggerAt < timing.minBetweenMs) return [];
  return arrived;
}

/** The run for `files` has started: they are seen, never to trigger again while they stay. */
export function markTriggered(state: FileArrivalState, files: readonly string[], now: number): void {
  for (const p of files) {
    state.seen[p] = state.pending[p] ?? '';
    delete state.pending[p];
  }
  state.lastTriggerAt = now;
  state.triggers++;
}

/**
 * What a listing of a watched location holds, as the lister reports it: the whole listing, or
 * only what changed since the listing the watcher last applied (`since`, that listing's digest).
 * Changes keep a watcher's history small however many files sit at the location: a quiet
 * location costs a digest per poll, not its whole listing.
 */
export type ListingChange =
  | { digest: string; files: ArrivedFile[] }
  | { digest: string; since: string; upserted: ArrivedFile[]; removed: string[] };

const byPath = (a: ArrivedFile, b: ArrivedFile) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

/** What turns listing `before` into `after`: files new or changed (size or mtime), paths gone. */
export function diffListings(
  before: readonly ArrivedFile[],
  after: readonly ArrivedFile[]
): { upserted: ArrivedFile[]; removed: string[] } {
  const old = new Map(before.map((f) => [f.path, f]));
  const upserted = after.filter((f) => {
    const o = old.get(f.path);
    return !o || o.size !== f.size || o.modifiedMs !== f.modifiedMs;
  });
  const present = new Set(after.map((f) => f.path));
  const removed = before.filter((f) => !present.has(f.path)).map((f) => f.path);
  return { upserted, removed };
}

/**
 * The listing after `change`, sorted by path. `known` is the listing the watcher holds and
 * `knownDigest` its digest; a change relative to any other listing is a lister bug.
 */
export function applyListingChange(
  known: readonly ArrivedFile[] | undefined,
  knownDigest: string | undefined,
  change: ListingChange
): ArrivedFile[] {
  if ('files' in change) return [...change.files].sort(byPath);
  if (known === undefined || change.since !== knownDigest)
    throw new Error(`listing change since ${change.since}, but the watcher holds ${knownDigest ?? 'no listing'}`);
  if (change.upserted.length === 0 && change.removed.length === 0) return [...known];
  const next = new Map(known.map((f) => [f.path, f]));
  for (const p of change.removed) next.delete(p);
  for (const f of change.upserted) next.set(f.path, f);
  return [...next.values()].sort(byPath);
}

/**
 * The listing a file-arrival watcher holds between polls and its digest, so that each poll asks
 * only for the changes since. Kept in the watcher's memory (rebuilt on replay from history), not
 * in its durable state: a new execution lists afresh.
 */
export class KnownListing {
  private files: ArrivedFile[] | undefined;
  private at: string | undefined;

  /** The digest to list changes since, if a listing is held. */
  get digest(): string | undefined {
    return this.at;
  }

  /**
   * The listing after `change`, or undefined when the change is relative to a listing this watcher
   * does not hold (cannot happen: the lister answers our own digest): then list afresh.
   */
  apply(change: ListingChange): ArrivedFile[] | undefined {
    if ('since' in change && change.since !== this.at) {
      this.forget();
      return undefined;
    }
    this.files = applyListingChange(this.files, this.at, change);
    this.at = change.digest;
    return this.files;
  }

  forget(): void {
    this.files = this.at = undefined;
  }
}

/** A file-arrival trigger's new configuration: a new location starts from what is there now, like a new trigger. */
export function watchesNewLocation(previous: { url: string }, next: { url: string }): boolean {
  return next.url !== previous.url;
}

export interface BackoffPolicy {
  /** First wait after a failed run (ms); doubles with each consecutive failure. */
  backoffInitialMs: number;
  backoffMaxMs: number;
}

/** A continuous job's wait before its next run after `failures` consecutive failed runs. */
export const continuousBackoffMs = (p: BackoffPolicy, failures: number): number =>
  failures <= 0 ? 0 : Math.min(p.backoffMaxMs, p.backoffInitialMs * 2 ** (failures - 1));

/** Timing of triggers (file arrival, continuous, periodic), set per client (tests and demos scale it). */
export interface TriggerTiming {
  /** Multiplies every trigger period (tests and demos). @default 1 */
  timeScale: number;
  /** How often file-arrival triggers list their location. @default 10 */
  fileArrivalPollSeconds: number;
  /** Wait after a continuous job's first failed run; doubles per consecutive failure. @default 10 */
  continuousBackoffSeconds: number;
  /** @default 600 */
  continuousBackoffMaxSeconds: number;
  /** How often model triggers read the MLflow Model Registry. @default 60 */
  modelPollSeconds: number;
}

/**
 * Databricks `trigger_state` of a file-arrival job (jobs/get?include_trigger_state=true, the SDK's
 * TriggerStateProto) from its watcher's state: files are found by listing, never by file events;
 * the `djobs_` fields are durable-jobs extensions (when it last started a run, how many files it
 * has seen and how many wait for the next run). A watcher that has not listed yet has seen none.
 */
export interface FileArrivalTriggerStateView {
  pause_status: 'PAUSED' | 'UNPAUSED';
  file_arrival: {
    using_file_events: false;
    djobs_last_triggered_time?: number;
    djobs_seen_files: number;
    djobs_pending_files: number;
  };
}

export function fileArrivalTriggerState(
  paused: boolean,
  state: FileArrivalState | undefined
): FileArrivalTriggerStateView {
  return {
    pause_status: paused ? 'PAUSED' : 'UNPAUSED',
    file_arrival: {
      using_file_events: false,
      ...(state?.lastTriggerAt ? { djobs_last_triggered_time: state.lastTriggerAt } : {}),
      djobs_seen_files: Object.keys(state?.seen ?? {}).length,
      djobs_pending_files: Object.keys(state?.pending ?? {}).length,
    },
  };
}
