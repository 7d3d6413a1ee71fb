// A record that Temporal holds for durable-jobs beside jobs and runs (a secret scope, a notification
// destination): one paused Schedule per record (`<prefix><name>`) whose action's argument is the
// record. A paused schedule never fires and Temporal never deletes it, and its action is a payload,
// so the data converter's codec encrypts it at rest; values that even the codec server must not
// show are sealed once more on their own (encryption/sealed-secret.ts) by the store that keeps them.
import type { Client } from '@temporalio/client';
import { ScheduleAlreadyRunning, ScheduleNotFoundError } from '@temporalio/client';
import type { z } from 'zod';
import { keyRingOf as keyRingOfConverter } from '../encryption/data-converter';
import type { KeyRing } from '../encryption/key-ring';

/** What kind of record a store keeps and how it reads one back. */
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

/** The key ring of a client's payload codec, if its data converter encrypts. */
export function keyRingOf(temporal: Client): KeyRing | undefined {
  return keyRingOfConverter(temporal.options.loadedDataConverter);
}

/** Records of one kind, each a paused schedule. */
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
  async create(name: string, record: R): Promise<boolean> {
    try {
      await this.temporal.schedule.create({
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
      return true;
    } catch (err) {
      if (err instanceof ScheduleAlreadyRunning) return false;
      throw err;
    }
  }

  /** The record, or undefined when there is none of that name. */
  async read(name: string): Promise<R | undefined> {
    try {
      const d = await this.temporal.schedule.getHandle(this.id(name)).describe();
      if (d.action.type !== 'startWorkflow') throw new Error(`Schedule ${this.id(name)} holds no record.`);
      return this.kind.schema.parse(d.action.args?.[0]);
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
