// condition_task evaluation (https://docs.databricks.com/workflows/jobs/conditional-tasks.html):
// equality compares strings exactly ("12.0" is not "12"), ordering compares numbers; a non-numeric operand of an ordering is a
// task failure. Evaluated inside the workflow, with no activity.
import { enumOf } from './states';

export const ConditionOp = enumOf('EQUAL_TO NOT_EQUAL GREATER_THAN GREATER_THAN_OR_EQUAL LESS_THAN LESS_THAN_OR_EQUAL');
export type ConditionOp = (typeof ConditionOp)[keyof typeof ConditionOp];
export const CONDITION_OPS = Object.values(ConditionOp);

export type ConditionResult = { ok: true; outcome: 'true' | 'false' } | { ok: false; error: string };

const NUMBER = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;

export function evaluateCondition(op: ConditionOp, left: string, right: string): ConditionResult {
  const outcome = (b: boolean): ConditionResult => ({ ok: true, outcome: b ? 'true' : 'false' });
  if (op === 'EQUAL_TO') return outcome(left === right);
  if (op === 'NOT_EQUAL') return outcome(left !== right);
  const bad = [left, right].filter((v) => !NUMBER.test(v));
  if (bad.length > 0) {
    return {
      ok: false,
      error: `${op} compares numbers, but ${bad.map((v) => JSON.stringify(v)).join(' and ')} ${bad.length > 1 ? 'are' : 'is'} not a number`,
    };
  }
  const l = Number(left);
  const r = Number(right);
  switch (op) {
    case 'GREATER_THAN':
      return outcome(l > r);
    case 'GREATER_THAN_OR_EQUAL':
      return outcome(l >= r);
    case 'LESS_THAN':
      return outcome(l < r);
    case 'LESS_THAN_OR_EQUAL':
      return outcome(l <= r);
  }
}
