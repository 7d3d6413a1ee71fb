// Every patched() of a workflow asked at its very start, before its first local activity.
//
// Why: the SDK may end a workflow task right after a local activity's marker (a query delivered
// with the task does that) and go on in a new task, so a patched() asked after the local activity
// records its marker in that next task. On replay the local activity resolves within the first
// task, the code asks patched() there, the marker is not known yet and patched() answers false:
// the history no longer replays (TMPRL1100 "Non-deprecated patch marker encountered").
// Asked before any local activity, every marker lands in the first workflow task, which replay
// reads in full before the workflow code runs.
//
// Histories recorded before this (no PATCHES_DECIDED_FIRST marker) ask each patch where the code
// needs it, as they did. Module state here is per workflow execution: the SDK loads the workflow
// modules afresh for each execution (its reusable V8 context keeps a module cache per workflow).
import { patched } from '@temporalio/workflow';

/** patched() id of asking every patch of the workflow at its start (absent from older histories). */
export const PATCHES_DECIDED_FIRST_PATCH = 'patches-decided-first';

let decided: Map<string, boolean> | undefined;

/**
 * Called first by a workflow function with every patch id its code may ask (isPatched). New ids go
 * at the end: a history recorded before an id was added has no marker for it and answers false.
 */
export function decidePatches(ids: readonly string[]): void {
  if (!patched(PATCHES_DECIDED_FIRST_PATCH)) return;
  decided = new Map(ids.map((id) => [id, patched(id)]));
}

/** Whether the workflow takes the path of patch `id`: decided at the start, or asked now in older histories. */
export function isPatched(id: string): boolean {
  if (!decided) return patched(id);
  const answer = decided.get(id);
  // A patch asked later than the first workflow task would bring the replay hazard back.
  if (answer === undefined) throw new Error(`patch ${id} was not decided at the workflow's start (decidePatches)`);
  return answer;
}
