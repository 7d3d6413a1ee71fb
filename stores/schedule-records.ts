// What durable-jobs keeps in Temporal beside runs is kept as Schedules (Temporal is the only
// store): a job is a schedule whose action starts its runs (client/jobs.ts), and a secret scope or a
// notification destination is a paused schedule (`<prefix><name>`) whose action only carries the
// record and never runs. A paused schedule never fires and Temporal never deletes it, and an
// action's arguments are payloads, so the data converter's codec encrypts them at rest; values
// that even the codec server must not show are sealed once more by the store that keeps them
// (encryption/sealed-secret.ts). This module is the one way to create, read back (parsed with zod,
// never cast), change and delete such schedules.
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  type Client,
  type ScheduleDescription,
  type ScheduleHandle,
  type ScheduleOptions,
} from '@temporalio/client';
import { z } from 'zod';
import { DjobsError, ErrorCode } from '../core/errors';
import { keyRingOf } from '../encryption/data-converter';
import type { KeyRing } from '../encryption/key-ring';

/** Act on the schedule `scheduleId`; a missing one is `missing()`. */
export async function onSchedule<T>(
  temporal: Client,
  scheduleId: string,
  act: (schedule: ScheduleHandle) => Promise<T>,
  missing: () => Error
): Promise<T> {
  try {
    return await act(temporal.schedule.getHandle(scheduleId));
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) throw missing();
    throw err;
  }
}

/** Creates a schedule; false when one of that id exists already. */
export async function createSchedule(temporal: Client, options: ScheduleOptions): Promise<boolean> {
  try {
    await temporal.schedule.create(options);
    return true;
  } catch (err) {
    if (err instanceof ScheduleAlreadyRunning) return false;
    throw err;
  }
}

/**
 * The record a schedule's action carries (its first argument), parsed with `schema`; a record
 * that does not parse (written by another version, altered) fails loudly, naming `what`.
 */
export function storedRecord<R>(args: readonly unknown[] | undefined, schema: z.ZodType<R>, what: string): R {
  const parsed = schema.safeParse(args?.[0]);
  if (!parsed.success)
    throw new DjobsError(
      ErrorCode.INTERNAL_ERROR,
      `The stored ${what} cannot be read: ${z.prettifyError(parsed.error)}`
    );
  return parsed.data;
}

/** The arguments of a schedule's action (none unless it starts a workflow). */
export const actionArgs = (d: Pick<ScheduleDescription, 'action'>): readonly unknown[] | undefined =>
  d.action.type === 'startWorkflow' ? d.action.args : undefined;

/** What kind of record a store keeps as paused schedules, and how it reads one back. */
export interface RecordKind<R> {
  /** Schedule id prefix, e.g. `djobs-secret-scope-`. */
  prefix: string;
  /** The placeholder action's workflow type and task queue: nothing ever runs it. */
  workflowType: string;
  taskQueue: string;
  /** Shown in the Temporal UI beside the paused schedule. */
  note: string;
  /** Every record read back from Temporal is parsed, never cast. */
  schema: z.ZodType<R>;
}

/**
 * The kind of record named `name` (e.g. `secret scope`): schedules `djobs-secret-scope-<name>`,
 * whose placeholder action is a `djobsSecretScope` workflow on `djobs-secret-scopes-never-run`.
 */
export function recordKind<R>(name: string, schema: z.ZodType<R>): RecordKind<R> {
  const words = name.split(' ');
  const dashed = words.join('-');
  return {
    prefix: `djobs-${dashed}-`,
    workflowType: `djobs${words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('')}`,
    taskQueue: `djobs-${dashed}s-never-run`,
    note: `durable-jobs ${name}: a record, never runs`,
    schema,
  };
}

/**
 * What a kind of record seals on its own with the key ring, beside the payload encryption of the
 * whole record: `djobs admin keys` counts the keys its sealed values use, `djobs admin reencrypt`
 * seals them again with the newest key (client/key-usage.ts).
 */
export interface SealedValues<R> {
  kind: RecordKind<R>;
  /** The key ids of the record's sealed values. */
  keyIds(record: R): string[];
  /** The record with every sealed value sealed again with the ring's newest key. */
  reseal(ring: KeyRing, record: R): R;
}

/** Records of one kind, each a paused schedule whose action carries it. */
export class ScheduleRecords<R> {
  /** Writes of this process, one at a time: each rewrites its record whole. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly temporal: Client,
    private readonly kind: RecordKind<R>
  ) {}

  private id(name: string): string {
    return `${this.kind.prefix}${name}`;
  }

  /** Creates the record; false when one of that name exists already. */
  create(name: string, record: R): Promise<boolean> {
    return createSchedule(this.temporal, {
      scheduleId: this.id(name),
      spec: {},
      action: {
        type: 'startWorkflow',
        workflowType: this.kind.workflowType,
        taskQueue: this.kind.taskQueue,
        args: [record],
      },
      state: { paused: true, note: this.kind.note },
    });
  }

  /** The record, or undefined when there is none of that name. */
  async read(name: string): Promise<R | undefined> {
    try {
      const d = await this.temporal.schedule.getHandle(this.id(name)).describe();
      return storedRecord(actionArgs(d), this.kind.schema, `record ${this.id(name)}`);
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) return undefined;
      throw err;
    }
  }

  /**
   * Read-modify-write of a record; this process's writes are serialized. `edit` may throw to
   * refuse the change. Resolves to the record written, or undefined when there is none.
   */
  change(name: string, edit: (record: R) => void): Promise<R | undefined> {
    const next = this.queue.then(async () => {
      const record = await this.read(name);
      if (record === undefined) return undefined;
      edit(record);
      await this.temporal.schedule.getHandle(this.id(name)).update((prev) => ({
        ...prev,
        action: { ...prev.action, args: [record] },
      }));
      return record;
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Deletes the record; false when there was none. */
  async delete(name: string): Promise<boolean> {
    try {
      await this.temporal.schedule.getHandle(this.id(name)).delete();
      return true;
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) return false;
      throw err;
    }
  }

  /** The names of every record of this kind, sorted. */
  async names(): Promise<string[]> {
    const out: string[] = [];
    for await (const s of this.temporal.schedule.list())
      if (s.scheduleId.startsWith(this.kind.prefix)) out.push(s.scheduleId.slice(this.kind.prefix.length));
    return out.sort((a, b) => a.localeCompare(b));
  }
}

/**
 * A store of one kind of record that seals its secret values (encryption/sealed-secret.ts) with
 * the key ring of its client's payload codec; with encryption off it has no ring, and refuses to
 * keep a secret rather than keep it in the clear.
 */
export abstract class SealingRecordStore<R> {
  protected readonly records: ScheduleRecords<R>;
  protected readonly ring: KeyRing | undefined;

  protected constructor(
    temporal: Client,
    kind: RecordKind<R>,
    /** Why the store refuses to work without a key ring. */
    private readonly ringRequired: string
  ) {
    this.records = new ScheduleRecords(temporal, kind);
    this.ring = keyRingOf(temporal.options.loadedDataConverter);
  }

  /** The store over a Temporal client, sealing with the key ring of its payload codec. */
  static of<S>(this: new (temporal: Client) => S, temporal: Client): S {
    return new this(temporal);
  }

  protected requireRing(): KeyRing {
    if (!this.ring) throw new DjobsError(ErrorCode.INVALID_STATE, this.ringRequired);
    return this.ring;
  }
}
