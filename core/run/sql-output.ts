// Databricks `sql_output` of a SQL task run (runs/get-output, the SDK's SqlOutput) from the
// summary the SQL runner recorded: a file task's `file_output` with its `query_result`, an inline
// query's `query_output`. Databricks shows a query's rows only in its UI; here they come back as
// the extension `djobs_query_result`, and every output has the extension `djobs_row_count` (the
// rows of the last result set, of which `query_result` holds the first).
import type { SqlTask } from '../schema';
import { DEFAULT_WAREHOUSE_ID } from '../access/warehouse-permissions';
import type { SqlResultSummary } from './task-attempt';

export interface SqlQueryResult {
  columns: { name: string }[];
  rows: { values: { string_value?: string }[] }[];
  truncated: boolean;
}

interface SqlStatementsOutput {
  warehouse_id: string;
  sql_statements: { lookup_key: string }[];
  djobs_row_count: number;
}

export interface SqlOutput {
  file_output?: SqlStatementsOutput & { query_result: SqlQueryResult };
  query_output?: SqlStatementsOutput & { query_text?: string; djobs_query_result: SqlQueryResult };
}

/** The sql_output of a SQL task's attempt `taskRunId` whose runner recorded `result`. */
export function sqlOutputOf(task: SqlTask, taskRunId: number, result: SqlResultSummary): SqlOutput {
  const queryResult: SqlQueryResult = {
    columns: result.columns.map((name) => ({ name })),
    rows: result.rows.map((row) => ({ values: row.map((v) => (v === null ? {} : { string_value: v })) })),
    truncated: result.row_count > result.rows.length,
  };
  const statements: SqlStatementsOutput = {
    warehouse_id: task.warehouse_id ?? DEFAULT_WAREHOUSE_ID,
    sql_statements: Array.from({ length: result.statements }, (_, i) => ({ lookup_key: `${taskRunId}-${i + 1}` })),
    djobs_row_count: result.row_count,
  };
  if (task.file) return { file_output: { ...statements, query_result: queryResult } };
  return {
    query_output: {
      ...statements,
      ...(task.query?.query_text !== undefined ? { query_text: task.query.query_text } : {}),
      djobs_query_result: queryResult,
    },
  };
}
