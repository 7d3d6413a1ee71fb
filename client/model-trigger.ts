// How a job's `trigger.model` becomes the configuration of its model-trigger workflow.
import type { JobSettings } from '../core';
import type { ModelTriggerConfig } from '../workflows/definitions';

export function modelTriggerConfig(
  settings: JobSettings,
  timing: { timeScale: number; modelPollSeconds: number }
): ModelTriggerConfig | undefined {
  const m = settings.trigger?.model;
  if (!m) return undefined;
  return {
    condition: m.condition,
    scope: m.securable_name ?? '',
    aliases: m.aliases ?? [],
    paused: settings.trigger?.pause_status === 'PAUSED',
    minBetweenMs: (m.min_time_between_triggers_seconds ?? 0) * 1000 * timing.timeScale,
    waitAfterChangeMs: (m.wait_after_last_change_seconds ?? 0) * 1000 * timing.timeScale,
    pollMs: timing.modelPollSeconds * 1000,
  };
}
