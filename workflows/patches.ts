// Every patch of a workflow decided at its very start, before its first local activity.
//
// Why: the SDK may end a workflow task right after a local activity's marker (a query delivered
// with the task does that) and go on in a new task, so a patched() asked after the local activity
// records its marker in that next task. On replay the local activity resolves within the first
// task, the code asks patched() there, the marker is not known yet and patched() answers false:
// the history no longer replays (TMPRL1100 "Non-deprecated patch marker encountered"). Asked
// before any local activity, every marker lands in the first workflow task, which replay reads in
// full before the workflow code runs.
//
// The patches older than PATCHES_DECIDED_FIRST are implied by its marker (the code that records it
// takes all their paths): a run records one marker, not one per patch. Histories without it ask
// each patch where the code needs it, as they were recorded. The state here is per workflow
// execution: the SDK's reusable V8 context loads the workflow modules afresh for each execution
// (a module cache per workflow).
import { patched } from '@temporalio/workflow';

/** patched() id of asking every patch of the workflow at its start (absent from older histories). */
export const PATCHES_DECIDED_FIRST_PATCH = 'patches-decided-first';

/**
 * The patches that existed before PATCHES_DECIDED_FIRST: true wherever its marker is. Fixed for
 * good: a history recording one of them as its own marker would no longer replay, and a patch
 * added later must be asked (decidePatches records its marker in the first workflow task).
 */
const IMPLIED = new Set([
  'continue-as-new-when-suggested',
  'job-concurrency-gate',
  'worker-pool-task-caps',
  'run-marked-until-admitted',
  'sealed-run-identity',
  'git-source-checkout',
  'file-arrival-listing-changes',
  'gate-answers-at-once',
  'slot-release-by-local-activity',
  'retry-interval-workflow-clock',
  'workflow-kind-attribute',
  'run-job-task-viewers',
  'for-each-inputs-limit',
  'run-job-task-permission',
  'run-notifications',
  'trigger-run-viewers',
]);

let decided: Map<string, boolean> | undefined;

/**
 * Called first by a workflow function with every patch id its code may ask (isPatched). New ids go
 * at the end: a history recorded before an id was added has no marker for it and answers false.
 */
export function decidePatches(ids: readonly string[]): void {
  if (!patched(PATCHES_DECIDED_FIRST_PATCH)) return;
  decided = new Map(ids.map((id) => [id, IMPLIED.has(id) || patched(id)]));
}

/** Whether the workflow takes the path of patch `id`: decided at the start, or asked now in older histories. */
export function isPatched(id: string): boolean {
  if (!decided) return patched(id);
  const answer = decided.get(id);
  // A patch asked later than the first workflow task would bring the replay hazard back.
  if (answer === undefined) throw new Error(`patch ${id} was not decided at the workflow's start (decidePatches)`);
  return answer;
}
