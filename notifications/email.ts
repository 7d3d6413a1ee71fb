// Email notifications: a `NotificationMessage` rendered as a plain-text mail and sent over SMTP
// (nodemailer, https://nodemailer.com/smtp/), or, with no SMTP server configured, written as an
// `.eml` file under `DJOBS_HOME/outbox/` with one line printed per notification, so `djobs dev` and
// `djobs run` demos show them. The Message-ID derives from the message's `event_id`: a redelivery
// carries the same id, so mail clients and tests recognise it.
import fs from 'node:fs';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { EmailConfig } from '../config';
import type { NotificationMessage } from '../core';

/** Where mails go: `EmailConfig` from the environment (DJOBS_SMTP_*), or one a test builds. */
export type EmailTransport = EmailConfig;

export interface EmailSent {
  via: 'smtp' | 'outbox';
  messageId: string;
  /** The `.eml` file written (outbox only). */
  file?: string;
}

const EVENT_WORDS = {
  on_start: 'started',
  on_success: 'succeeded',
  on_failure: 'failed',
  on_duration_warning_threshold_exceeded: 'is running longer than expected',
} as const;

/** `Run failed: nightly (run 42, FAILED)`; task notifications name the task first. */
export function emailSubject(m: NotificationMessage): string {
  const who = m.task ? `Task ${m.task.task_key} of ${m.job.name}` : `Run of ${m.job.name}`;
  const result = m.task ? m.task.result_state : m.run.result_state;
  const threshold = m.threshold_seconds !== undefined ? ` (over ${m.threshold_seconds} s)` : '';
  return `[durable-jobs] ${who} ${EVENT_WORDS[m.event]}${threshold}: run ${m.run.run_id}${result ? `, ${result}` : ''}`;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The body: run page, start, end, duration, and each failed task's error. */
export function emailBody(m: NotificationMessage): string {
  const lines = [
    emailSubject(m).replace('[durable-jobs] ', ''),
    '',
    `Job: ${m.job.name}${m.job.job_id ? ` (job_id ${m.job.job_id})` : ''}`,
    `Run: ${m.run.run_name} (run_id ${m.run.run_id})`,
    `Event: ${m.event}`,
    `State: ${m.run.life_cycle_state}${m.run.result_state ? ` / ${m.run.result_state}` : ''}`,
    ...(m.run.state_message ? [`Message: ${m.run.state_message}`] : []),
    `Run page: ${m.run.run_page_url}`,
    `Started: ${iso(m.run.start_time)}`,
    ...(m.run.end_time ? [`Ended: ${iso(m.run.end_time)}`] : []),
    ...(m.run.duration_ms !== undefined ? [`Duration: ${(m.run.duration_ms / 1000).toFixed(1)} s`] : []),
    ...(m.threshold_seconds !== undefined ? [`Duration threshold: ${m.threshold_seconds} s`] : []),
  ];
  if (m.task)
    lines.push(
      '',
      `Task: ${m.task.task_key} (run_id ${m.task.run_id}, attempt ${m.task.attempt_number})`,
      ...(m.task.result_state ? [`Task result: ${m.task.result_state}`] : []),
      ...(m.task.error ? [`Task error: ${m.task.error}`] : [])
    );
  if (m.run.failed_tasks.length > 0) {
    lines.push('', 'Failed tasks:');
    for (const t of m.run.failed_tasks) lines.push(`- ${t.task_key}: ${t.error}`);
  }
  lines.push('', `Event id: ${m.event_id}`);
  return `${lines.join('\n')}\n`;
}

/** `<event_id@durable-jobs>`: the same for every delivery of one event to one target. */
export const emailMessageId = (m: NotificationMessage) => `<${m.event_id}@durable-jobs>`;

export async function sendEmail(
  addresses: string[],
  message: NotificationMessage,
  transport: EmailTransport
): Promise<EmailSent> {
  const mail = {
    from: transport.from,
    to: addresses,
    subject: emailSubject(message),
    text: emailBody(message),
    messageId: emailMessageId(message),
    headers: { 'X-Djobs-Event-Id': message.event_id },
  };
  if (transport.smtp) {
    const { host, port, secure, user, password } = transport.smtp;
    const smtp = nodemailer.createTransport({
      host,
      port,
      secure,
      ...(user && password ? { auth: { user, pass: password } } : {}),
      connectionTimeout: 30_000,
      greetingTimeout: 30_000,
      socketTimeout: 60_000,
    });
    try {
      await smtp.sendMail(mail);
    } finally {
      smtp.close();
    }
    return { via: 'smtp', messageId: mail.messageId };
  }
  const stream = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  const info = await stream.sendMail(mail);
  fs.mkdirSync(transport.outbox, { recursive: true });
  // Named by event id: a redelivery rewrites the same file instead of adding a second one.
  const file = path.join(transport.outbox, `${message.event_id}.eml`);
  fs.writeFileSync(file, info.message as Buffer);
  console.log(`notification ${message.event} → ${addresses.join(', ')}: ${mail.subject} (${file})`);
  return { via: 'outbox', messageId: mail.messageId, file };
}

/** An SMTP answer no retry changes (5xx, failed authentication); 4xx and network errors are worth retrying. */
export function isPermanentEmailFailure(err: unknown): boolean {
  const e = err as { responseCode?: number; code?: string };
  return (e.responseCode !== undefined && e.responseCode >= 500) || e.code === 'EAUTH';
}
