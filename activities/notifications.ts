// The delivery activity of run notifications: one notification to one target, with the sender of
// that target (notifications/). Temporal retries it with backoff (workflows/run-notifications.ts);
// a refusal no retry can change is thrown as a non-retryable NotificationRejected, so the run
// records the failure at once. Every failed try is written to the worker log.
import { heartbeat, log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { runPageUrl, type NotificationMessage, type RunPageLinks } from '../core';
import type { EmailConfig } from '../config';
import { isPermanentEmailFailure, sendEmail } from '../notifications/email';
import { NOTIFICATION_REJECTED, type NotificationDeliveryInput } from '../workflows/definitions';

export interface NotificationDeps {
  email: EmailConfig;
  /** Where run pages are, for each message's `run_page_url`. */
  runPages: RunPageLinks;
}

export function createNotificationActivities(deps: NotificationDeps) {
  return {
    async deliverNotification({ message, target }: NotificationDeliveryInput): Promise<void> {
      const full: NotificationMessage = {
        ...message,
        run: {
          ...message.run,
          run_page_url: message.run.run_page_url || runPageUrl(deps.runPages, message.run.run_id),
        },
      };
      heartbeat();
      // The receiver may be slow: keep telling Temporal this worker is alive.
      const beat = setInterval(() => heartbeat(), 1000);
      try {
        switch (target.type) {
          case 'email':
            await sendEmail(target.addresses, full, deps.email);
            return;
          case 'destination':
            throw ApplicationFailure.create({
              type: NOTIFICATION_REJECTED,
              message: `notification destination ${target.id}: destinations are not available in this build`,
              nonRetryable: true,
            });
        }
      } catch (err) {
        log.warn('notification delivery failed', { event_id: message.event_id, error: String(err) });
        if (err instanceof ApplicationFailure) throw err;
        if (isPermanentEmailFailure(err))
          throw ApplicationFailure.create({
            type: NOTIFICATION_REJECTED,
            message: err instanceof Error ? err.message : String(err),
            nonRetryable: true,
          });
        throw err;
      } finally {
        clearInterval(beat);
      }
    },
  };
}
