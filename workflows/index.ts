// What the worker bundles: workflow functions only, each refusing a start whose input or memo was
// not encrypted (workflows/refused-payloads.ts).
import { forEachRun as forEachRunBody } from './for-each';
import { jobRun as jobRunBody } from './job-run';
import { logRetention as logRetentionBody } from './log-retention';
import { modelTriggerWatcher as modelTriggerWatcherBody } from './model-trigger';
import { refusingUnencrypted } from './refused-payloads';
import { slotGate as slotGateBody } from './slot-gate';
import { continuousJob as continuousJobBody, fileArrivalWatcher as fileArrivalWatcherBody } from './triggers';

export const jobRun = refusingUnencrypted(jobRunBody);
export const forEachRun = refusingUnencrypted(forEachRunBody);
export const slotGate = refusingUnencrypted(slotGateBody);
export const fileArrivalWatcher = refusingUnencrypted(fileArrivalWatcherBody);
export const continuousJob = refusingUnencrypted(continuousJobBody);
export const modelTriggerWatcher = refusingUnencrypted(modelTriggerWatcherBody);
export const logRetention = refusingUnencrypted(logRetentionBody);
