// What the worker bundles: workflow functions only.
export { jobRun } from './job-run';
