// Exit codes of every djobs command (documented in the README).
import { ErrorCode, type DjobsError } from '../client';

export const ExitCode = {
  SUCCESS: 0,
  /** The run ended in any state but SUCCESS. */
  RUN_FAILED: 1,
  /** Bad input: invalid spec, unknown job or run, bad flag. */
  BAD_INPUT: 2,
  /** Temporal could not be reached or started. */
  TEMPORAL_UNAVAILABLE: 3,
} as const;

export function exitCodeFor(err: DjobsError): number {
  switch (err.code) {
    case ErrorCode.TEMPORAL_UNAVAILABLE:
      return ExitCode.TEMPORAL_UNAVAILABLE;
    case ErrorCode.INTERNAL_ERROR:
      return ExitCode.RUN_FAILED;
    default:
      return ExitCode.BAD_INPUT;
  }
}
