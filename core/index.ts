// The one place workflows, activities, worker, client and CLI import job-model facts from.
// Pure: imports zod only.
export * from './dag';
export * from './schema';
export * from './run/task-attempt';
export * from './run/run-model';
export * from './run/live-run-view';
export * from './run/clocked-json';
export * from './run/active-run';
export * from './run/ids';
export * from './cron';
export * from './refs';
export * from './access/permissions';
export * from './access/secret-acls';
export * from './run/admission';
export * from './run/triggers';
export * from './run/legacy-parameters';
export * from './run/model-trigger';
export * from './run/for-each';
export * from './notifications/message';
export * from './notifications/rules';
export * from './notifications/run-message';
