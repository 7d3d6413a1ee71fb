// The one place activities, worker, client and CLI import job-model facts from: the zod schemas
// (core/schema) and the model's logic (core/model.ts, which workflows import: it leaves the
// schemas out). Pure: imports zod only.
export * from './schema';
export * from './model';
// Read-side views the API serves; workflows never need them.
export * from './run/live-run-view';
export * from './run/clocked-json';
// What a worker's log retention deletes (activities/log-retention.ts).
export * from './run/log-retention';
// A running attempt's lost worker, in the run's view (client/run-reads.ts).
export * from './run/lost-workers';
