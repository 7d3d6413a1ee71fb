// The delivery activity of run notifications: one notification to one target, with the sender of
// that target (notifications/). Temporal retries it with backoff (workflows/run-notifications.ts);
// a refusal no retry can change is thrown as a non-retryable NotificationRejected, so the run
// records the failure at once. Every failed try is written to the worker log.
import { getClient, heartbeat, log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { runPageUrl, type NotificationMessage, type RunPageLinks } from '../core';
import type { EmailConfig } from '../config';
import { DeliveryError } from '../notifications/delivery-error';
import { deliverToDestination } from '../notifications/destinations';
import { isPermanentEmailFailure, sendEmail } from '../notifications/email';
import {
  NOTIFICATION_REJECTED,
  type NotificationDeliveryInput,
  type NotificationDeliveryResult,
} from '../workflows/definitions';

export interface NotificationDeps {
  email: EmailConfig;
  /** Where run pages are, for each message's `run_page_url`. */
  runPages: RunPageLinks;
  /** PagerDuty Events v2 endpoint. @default the configuration's (DJOBS_PAGERDUTY_EVENTS_URL) */
  pagerdutyEventsUrl?: string;
}

export function createNotificationActivities(deps: NotificationDeps) {
  return {
    async deliverNotification({ message, target }: NotificationDeliveryInput): Promise<NotificationDeliveryResult> {
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
      const email = async (addresses: string[], m: NotificationMessage) => {
        const sent = await sendEmail(addresses, m, deps.email);
        return sent.file ? { outboxFile: sent.file } : {};
      };
      try {
        switch (target.type) {
          case 'email':
            return await email(target.addresses, full);
          case 'destination':
            return (
              (await deliverToDestination(
                getClient(),
                target.id,
                full,
                { sendEmail: email },
                deps.pagerdutyEventsUrl ? { pagerdutyEventsUrl: deps.pagerdutyEventsUrl } : {}
              )) ?? {}
            );
        }
      } catch (err) {
        log.warn('notification delivery failed', { event_id: message.event_id, error: String(err) });
        if (err instanceof DeliveryError)
          throw ApplicationFailure.create({
            type: err.retryable ? 'NotificationDeliveryFailed' : NOTIFICATION_REJECTED,
            message: err.message,
            nonRetryable: !err.retryable,
            ...(err.retryAfterMs !== undefined ? { nextRetryDelay: err.retryAfterMs } : {}),
          });
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
