import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { actionArgs, recordKind, storedRecord } from '../../../stores/schedule-records';

const Scope = z.object({ scope: z.string(), acls: z.array(z.string()) });

describe('a record read back from a schedule', () => {
  it('is the action’s first argument, parsed', () => {
    expect(storedRecord([{ scope: 's', acls: ['a'] }, 'ignored'], Scope, 'record djobs-secret-scope-s')).toEqual({
      scope: 's',
      acls: ['a'],
    });
  });

  it('fails loudly, naming the record and every problem, when it does not parse', () => {
    expect(() => storedRecord([{ scope: 7 }], Scope, 'record djobs-secret-scope-s')).toThrow(
      'The stored record djobs-secret-scope-s cannot be read: ✖ Invalid input: expected string, received number\n  → at scope\n✖ Invalid input: expected array, received undefined\n  → at acls'
    );
    expect(() => storedRecord(undefined, Scope, 'settings of job 7')).toThrow(
      'The stored settings of job 7 cannot be read: ✖ Invalid input: expected object, received undefined'
    );
  });

  it('is carried only by an action that starts a workflow', () => {
    expect(actionArgs({ action: { type: 'startWorkflow', args: [1] } as never })).toEqual([1]);
    expect(actionArgs({ action: { type: 'other' } as never })).toBeUndefined();
  });
});

describe('a kind of record', () => {
  it('is kept under the schedule ids, placeholder workflow and note it always had', () => {
    const { schema: _, ...secretScope } = recordKind('secret scope', Scope);
    expect(secretScope).toEqual({
      prefix: 'djobs-secret-scope-',
      workflowType: 'djobsSecretScope',
      taskQueue: 'djobs-secret-scopes-never-run',
      note: 'durable-jobs secret scope: a record, never runs',
    });
    const { schema: __, ...destination } = recordKind('notification destination', Scope);
    expect(destination).toEqual({
      prefix: 'djobs-notification-destination-',
      workflowType: 'djobsNotificationDestination',
      taskQueue: 'djobs-notification-destinations-never-run',
      note: 'durable-jobs notification destination: a record, never runs',
    });
  });
});
