// One driver for the trigger workflows (the file-arrival watcher, the model trigger, the
// continuous-job supervisor): the signals that reconfigure and stop a trigger and the query of its
// state, a paused trigger waiting to be resumed, and the loop of steps (a poll, a run) with a wait
// after each, for a bounded number of steps per execution before the trigger continues as new.
// Each trigger supplies only its step; what a step decides is pure (core/run/triggers.ts,
// core/run/model-trigger.ts).
import { acceptControlSignal, acceptSignal } from './refused-payloads';
import { condition, setHandler, workflowInfo } from '@temporalio/workflow';
import { configureTriggerSignal, getTriggerStateQuery, stopTriggerSignal } from './definitions';

/** Loop iterations (polls or runs) per execution before continuing as new with the state. */
export const ITERATIONS_PER_EXECUTION = 200;

/** What every trigger's configuration has. */
export interface TriggerConfig {
  paused: boolean;
}

/** The trigger's current configuration and the signals it received. */
export interface TriggerControls<C> {
  config: C;
  stopped: boolean;
  /** A configure signal arrived since the last step began to wait. */
  reconfigured: boolean;
}

/**
 * Answer the configure and stop signals and the state query. `reconfigure` sees each new
 * configuration beside the previous one before it takes effect (a new location starts afresh).
 */
export function triggerControls<C>(
  initial: C,
  state: () => unknown,
  reconfigure: (next: C, previous: C) => void = () => undefined
): TriggerControls<C> {
  const controls: TriggerControls<C> = { config: initial, stopped: false, reconfigured: false };
  setHandler(configureTriggerSignal, (c) => {
    if (!acceptSignal('configureTrigger', c)) return;
    const next = c as C;
    reconfigure(next, controls.config);
    controls.config = next;
    controls.reconfigured = true;
  });
  setHandler(stopTriggerSignal, (arg) => {
    if (acceptControlSignal('stopTrigger', arg)) controls.stopped = true;
  });
  setHandler(getTriggerStateQuery, () => ({ config: controls.config, state: state() }));
  return controls;
}

/**
 * After a step: take the next step at once, stop (the job was deleted), or wait `ms` (a stop
 * signal ends the wait; a configure signal too when `untilReconfigured`).
 */
export type StepOutcome = 'next' | 'job-deleted' | { waitMs: number; untilReconfigured: boolean };

/** Poll every `pollMs`, or sooner when reconfigured. */
export const waitToPoll = (config: { pollMs: number }): StepOutcome => ({
  waitMs: config.pollMs,
  untilReconfigured: true,
});

/**
 * Take steps until the trigger is stopped or its job deleted (false) or this execution has taken
 * its share of steps or Temporal suggests continuing as new (true: the caller continues as new).
 */
export async function driveTrigger<C extends TriggerConfig>(
  controls: TriggerControls<C>,
  step: (config: C) => Promise<StepOutcome>
): Promise<boolean> {
  for (let i = 0; i < ITERATIONS_PER_EXECUTION && !workflowInfo().continueAsNewSuggested; i++) {
    if (controls.stopped) return false;
    if (controls.config.paused) {
      await condition(() => controls.stopped || !controls.config.paused);
      continue;
    }
    const outcome = await step(controls.config);
    if (outcome === 'job-deleted') return false;
    if (outcome === 'next') continue;
    controls.reconfigured = false;
    const { untilReconfigured } = outcome;
    await condition(() => controls.stopped || (untilReconfigured && controls.reconfigured), outcome.waitMs);
  }
  return true;
}
