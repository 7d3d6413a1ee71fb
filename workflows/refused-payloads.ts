// Workers that encrypt refuse what is not encrypted (docs/security.md): their payload codec
// hands a marker in place of an unencrypted input, memo or signal (core/refused-payload.ts). A
// workflow started with one ends at once with a non-retryable error saying so; a signal carrying
// one is dropped. Runs started before encryption was turned on finish on workers started with
// DJOBS_ACCEPT_PLAINTEXT_PAYLOADS=true (the migration switch), whose codec passes them through.
// A signal with nothing to say (pause, resume, stopTrigger) carries its name and workflow id all
// the same (ControlSignalArg), so that one sent without the key is told apart and dropped too.
import { ApplicationFailure, log, patched, workflowInfo } from '@temporalio/workflow';
import { UNENCRYPTED_PAYLOAD_REFUSED, isRefusedPayload } from '../core/model';

/** A workflow function that first refuses a start whose input or memo was not encrypted. */
export function refusingUnencrypted<A extends unknown[], R>(
  workflow: (...args: A) => Promise<R>
): (...args: A) => Promise<R> {
  return async (...args: A) => {
    const memo = Object.entries(workflowInfo().memo ?? {}).filter(([, v]) => isRefusedPayload(v));
    const inputs = args.filter(isRefusedPayload).length;
    if (inputs > 0 || memo.length > 0)
      throw ApplicationFailure.create({
        type: UNENCRYPTED_PAYLOAD_REFUSED,
        nonRetryable: true,
        message: `This workflow was started with ${[
          ...(inputs > 0 ? ['an input'] : []),
          ...memo.map(([k]) => `memo ${k}`),
        ].join(
          ' and '
        )} that is not encrypted: this worker encrypts, and acts on nothing written without the key (someone wrote straight into Temporal). Runs started before encryption was turned on need workers started with DJOBS_ACCEPT_PLAINTEXT_PAYLOADS=true.`,
      });
    return workflow(...args);
  };
}

/** Whether a signal's argument may be acted on: one that was not encrypted is dropped, and logged. */
export function acceptSignal(signal: string, arg: unknown): boolean {
  if (!isRefusedPayload(arg)) return true;
  log.warn(`Dropped signal ${signal}: its argument is not encrypted.`);
  return false;
}

/**
 * patched() id of control signals that must carry their ControlSignalArg. Asked when such a signal
 * is handled, so a run started before it, still running, is protected from its first signal after
 * the upgrade on, while replaying what it did before the marker as it did then (it accepted a
 * signal without argument).
 */
export const CONTROL_SIGNAL_ARG_PATCH = 'control-signal-argument';

/**
 * Whether a control signal (no argument of its own) may be acted on: it must carry its
 * ControlSignalArg, encrypted (a plaintext one reaches the workflow as the refused marker), for
 * this signal and this workflow. Anything else is dropped, and logged.
 */
export function acceptControlSignal(signal: string, arg: unknown): boolean {
  if (!patched(CONTROL_SIGNAL_ARG_PATCH)) return true;
  if (!acceptSignal(signal, arg)) return false;
  const a = arg as { signal?: unknown; workflowId?: unknown } | undefined;
  if (a?.signal === signal && a.workflowId === workflowInfo().workflowId) return true;
  log.warn(
    `Dropped signal ${signal}: ${arg === undefined ? 'it carries no argument' : 'its argument is for another signal or workflow'} (djobs' clients send each control signal with its name and workflow id, encrypted).`
  );
  return false;
}
