// The answers of runs/get, serialised once and sent again while the run's view is unchanged (SDK
// waiters poll runs/get: it is the hottest route). The client hands out the very same view object
// for as long as a run's snapshot is unchanged (`isSettledRunView`, `liveRunViewSource`), so the
// bodies are kept by that identity and go when it does.
import { ClockedJson, type Run } from '../core';
import { isSettledRunView, liveRunViewSource } from '../client';
import { JsonBody } from './routes';

/** runs/get bodies of settled run views (`isSettledRunView`), by the view and the shape asked for. */
const settledRunBodies = new WeakMap<Run, Map<string, JsonBody>>();
/**
 * runs/get bodies of live run views as functions of the clock, by the snapshot's view function
 * (`liveRunViewSource`) and the shape asked for: the first body serialised (and its instant) until
 * a second read makes the template of it, null where the body is serialised every time.
 */
type LiveRunBody = ClockedJson | { text: string; now: number } | null;
const liveRunBodies = new WeakMap<(now: number) => Run, Map<string, LiveRunBody>>();

/**
 * The body of `run` in `shape` (the version and options asked for), `bodyOf` making it from a
 * view: kept when the view allows, else made afresh.
 */
export function runGetBody(run: Run, shape: string, bodyOf: (view: Run) => unknown): unknown {
  // A live run's view changes only in the durations the clock drives for as long as its
  // snapshot is unchanged: its body is serialised once per shape as a template, which each
  // read fills in at its own instant. The template (two serialisations) is made on the
  // second read of a snapshot, so a snapshot read once (a run changing faster than it is
  // read) costs what it did, and kept only if it gives the first read's text exactly.
  const live = liveRunViewSource(run);
  if (live) {
    let bodies = liveRunBodies.get(live.at);
    if (!bodies) liveRunBodies.set(live.at, (bodies = new Map<string, LiveRunBody>()));
    const kept = bodies.get(shape);
    if (kept instanceof ClockedJson) return new JsonBody(Buffer.from(kept.at(live.now)));
    if (kept === null) return bodyOf(run);
    if (kept === undefined) {
      const text = JSON.stringify(bodyOf(run));
      bodies.set(shape, { text, now: live.now });
      return new JsonBody(Buffer.from(text));
    }
    const template = ClockedJson.of((now) => bodyOf(live.at(now)));
    const exact = template !== undefined && template.at(kept.now) === kept.text;
    bodies.set(shape, exact ? template : null);
    return exact ? new JsonBody(Buffer.from(template.at(live.now))) : bodyOf(run);
  }
  // A finished run's view is one object for as long as the run is unchanged: its body is
  // serialised once per shape asked for.
  if (!isSettledRunView(run)) return bodyOf(run);
  let bodies = settledRunBodies.get(run);
  if (!bodies) settledRunBodies.set(run, (bodies = new Map<string, JsonBody>()));
  let json = bodies.get(shape);
  if (!json) bodies.set(shape, (json = new JsonBody(Buffer.from(JSON.stringify(bodyOf(run))))));
  return json;
}
