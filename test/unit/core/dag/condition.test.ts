import { describe, expect, it } from 'vitest';
import { evaluateCondition, type ConditionOp } from '../../../../core';

describe('evaluateCondition (Databricks comparison rules)', () => {
  const cases: [ConditionOp, string, string, 'true' | 'false'][] = [
    ['EQUAL_TO', 'a', 'a', 'true'],
    ['EQUAL_TO', '12.0', '12', 'false'], // equality compares strings
    ['NOT_EQUAL', '12.0', '12', 'true'],
    ['NOT_EQUAL', 'x', 'x', 'false'],
    ['GREATER_THAN', '12.0', '9', 'true'], // ordering compares numbers, not strings
    ['GREATER_THAN', '10', '9', 'true'],
    ['GREATER_THAN', '9', '9', 'false'],
    ['GREATER_THAN_OR_EQUAL', '12.0', '12', 'true'],
    ['LESS_THAN', '-1', '0', 'true'],
    ['LESS_THAN', '1e3', '999', 'false'],
    ['LESS_THAN_OR_EQUAL', '3', '3', 'true'],
    ['LESS_THAN_OR_EQUAL', '3.5', '3', 'false'],
  ];
  for (const [op, left, right, outcome] of cases) {
    it(`${JSON.stringify(left)} ${op} ${JSON.stringify(right)} → ${outcome}`, () =>
      expect(evaluateCondition(op, left, right)).toEqual({ ok: true, outcome }));
  }
  it('a non-numeric operand of an ordering is a clear failure', () => {
    expect(evaluateCondition('GREATER_THAN', 'ten', '9')).toEqual({
      ok: false,
      error: 'GREATER_THAN compares numbers, but "ten" is not a number',
    });
    expect(evaluateCondition('LESS_THAN', '', 'x')).toEqual({
      ok: false,
      error: 'LESS_THAN compares numbers, but "" and "x" are not a number',
    });
  });
});
