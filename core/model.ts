// The job model's logic (DAG, run state machine, cron, references, admission, notifications) and
// the types of its schema, without the zod schemas themselves: what workflows import. A workflow
// bundle loads its modules afresh for every workflow execution (the SDK's reusable V8 context
// keeps module state per workflow), so building the zod schemas there cost each run tens of
// milliseconds of worker CPU for validation that happens before a run starts (api/, client/).
export type * from './schema';
export * from './dag';
export * from './run/task-attempt';
export * from './run/run-state';
export * from './run/databricks-run';
export * from './run/termination';
export * from './run/resolved-values';
export * from './run/sql-output';
export * from './run/listed-run';
export * from './run/active-run';
export * from './run/ids';
export * from './cron';
export * from './refs';
export * from './access/permissions';
export * from './access/secret-acls';
export * from './access/run-as';
export * from './run/admission';
export * from './run/triggers';
export * from './run/legacy-parameters';
export * from './run/task-runtime';
export * from './run/model-trigger';
export * from './run/for-each';
export * from './notifications/message';
export * from './notifications/rules';
export * from './notifications/run-message';
export * from './refused-payload';
export * from './access/warehouse-permissions';
export * from './access/service-principal-roles';
export * from './workspace/paths';
export * from './workspace/notebooks';
export * from './workspace/acls';
