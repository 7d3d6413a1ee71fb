// The DjobsKind search attribute of the workflows a workflow starts (run_job_task's child runs,
// for_each children, the runs of triggers). Such a start is a command of the parent's history, so
// the attribute is added only where the patch is recorded: histories from before it replay with
// the child started as it was.
import { kindAttribute, type WorkflowKind } from './search-attributes';
import { isPatched } from './patches';

/** patched() id of children started with their `DjobsKind` (absent from older histories). */
export const WORKFLOW_KIND_PATCH = 'workflow-kind-attribute';

/** The attribute list to spread into a child's `typedSearchAttributes`: empty in older histories. */
export function childKind(kind: WorkflowKind): ReturnType<typeof kindAttribute>[] {
  return isPatched(WORKFLOW_KIND_PATCH) ? [kindAttribute(kind)] : [];
}
