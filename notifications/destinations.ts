// Delivery of one notification to one notification destination: read the destination with its
// secrets (stores/notification-destinations.ts) and hand the message to the sender of its type.
// Email goes through the injected `sendEmail` (SMTP or the dev outbox, notifications/email.ts);
// the others are HTTP senders. Every failure to deliver is a `DeliveryError` saying whether a
// retry can help, except a Temporal outage while reading the destination, which is retryable as is.
import { DjobsError } from '../core/errors';
import { loadConfig } from '../config';
import type { NotificationMessage } from '../core/notifications/message';
import type { Client } from '@temporalio/client';
import { NotificationDestinationStore } from '../stores/notification-destinations';
import { DeliveryError } from './delivery-error';
import { sendGenericWebhook } from './generic-webhook';
import { sendPagerDuty } from './pagerduty';
import { sendSlack } from './slack';
import { sendTeams } from './teams';

export interface DestinationSenders {
  /** Sends the mail; returns the `.eml` file when it was written to the dev outbox instead. */
  sendEmail(addresses: string[], message: NotificationMessage): Promise<{ outboxFile?: string } | void>;
}

export interface DeliveryOptions {
  /** PagerDuty Events v2 endpoint. @default the configuration's (DJOBS_PAGERDUTY_EVENTS_URL) */
  pagerdutyEventsUrl?: string;
}

export async function deliverToDestination(
  client: Client,
  destinationId: string,
  message: NotificationMessage,
  senders: DestinationSenders,
  options: DeliveryOptions = {}
): Promise<{ outboxFile?: string } | void> {
  const destination = await NotificationDestinationStore.of(client)
    .readForDelivery(destinationId)
    .catch((err: unknown) => {
      // A deleted destination or an unreadable one (no key ring) stays so: no retry.
      if (err instanceof DjobsError) throw new DeliveryError('destination', err.message, false);
      throw err;
    });
  switch (destination.destination_type) {
    case 'EMAIL':
      return senders.sendEmail(destination.addresses, message);
    case 'SLACK':
      return sendSlack(destination.url, message);
    case 'MICROSOFT_TEAMS':
      return sendTeams(destination.url, message);
    case 'PAGERDUTY':
      return sendPagerDuty(
        destination.integration_key,
        message,
        options.pagerdutyEventsUrl ?? loadConfig().pagerdutyEventsUrl
      );
    case 'WEBHOOK':
      return sendGenericWebhook(destination.url, message, {
        username: destination.username,
        password: destination.password,
      });
    default:
      return destination satisfies never;
  }
}
