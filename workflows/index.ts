// What the worker bundles: workflow functions only.
export { jobRun } from './job-run';
export { forEachRun } from './for-each';
export { slotGate } from './slot-gate';
export { fileArrivalWatcher, continuousJob } from './triggers';
export { modelTriggerWatcher } from './model-trigger';
