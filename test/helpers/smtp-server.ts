// A real SMTP server on loopback for tests (npm `smtp-server`), parsing every accepted mail with
// `mailparser`. Per recipient it can answer with temporary failures first, refuse for good, or
// hold a delivery at the DATA stage (so a test can kill the sending worker mid-delivery).
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  to: string[];
  subject: string;
  messageId: string;
  text: string;
  headers: Map<string, unknown>;
}

export interface SmtpReceiver {
  port: number;
  /** Mails accepted so far. */
  mails: ReceivedMail[];
  /** Mails accepted for this recipient. */
  mailsTo(address: string): ReceivedMail[];
  /** DATA commands seen per recipient (accepted, refused or held). */
  attempts(address: string): number;
  /** Answer the next `times` deliveries to `address` with `451` (try again later). */
  failTemporarily(address: string, times: number): void;
  /** Refuse every delivery to `address` with `550`. */
  refuse(address: string): void;
  /** Hold the next delivery to `address` at DATA, unanswered, until `release` (which then refuses it). */
  hold(address: string): void;
  /** Whether a delivery to `address` is being held now. */
  holding(address: string): boolean;
  release(address: string): void;
  stop(): Promise<void>;
}

export async function startSmtpReceiver(): Promise<SmtpReceiver> {
  const mails: ReceivedMail[] = [];
  const attempts = new Map<string, number>();
  const temporary = new Map<string, number>();
  const refused = new Set<string>();
  const toHold = new Set<string>();
  const held = new Map<string, (err: Error) => void>();
  const smtpError = (code: number, text: string) => Object.assign(new Error(text), { responseCode: code });

  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const to = session.envelope.rcptTo.map((r) => r.address);
      void simpleParser(stream).then(
        (parsed) => {
          for (const a of to) attempts.set(a, (attempts.get(a) ?? 0) + 1);
          const hold = to.find((a) => toHold.has(a));
          if (hold) {
            toHold.delete(hold);
            held.set(hold, callback);
            return;
          }
          const tempFail = to.find((a) => (temporary.get(a) ?? 0) > 0);
          if (tempFail) {
            temporary.set(tempFail, temporary.get(tempFail)! - 1);
            return callback(smtpError(451, 'Requested action aborted: try again later'));
          }
          if (to.some((a) => refused.has(a))) return callback(smtpError(550, 'Mailbox unavailable'));
          mails.push({
            to,
            subject: parsed.subject ?? '',
            messageId: parsed.messageId ?? '',
            text: parsed.text ?? '',
            headers: parsed.headers,
          });
          callback();
        },
        (err: unknown) => callback(err as Error)
      );
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  server.on('error', () => undefined); // a client killed mid-session is not the test's failure
  const port = (server.server.address() as { port: number }).port;
  const release = (address: string) => {
    held.get(address)?.(smtpError(451, 'Held by the test, then refused'));
    held.delete(address);
  };
  return {
    port,
    mails,
    mailsTo: (address) => mails.filter((m) => m.to.includes(address)),
    attempts: (address) => attempts.get(address) ?? 0,
    failTemporarily: (address, times) => temporary.set(address, times),
    refuse: (address) => refused.add(address),
    hold: (address) => toHold.add(address),
    holding: (address) => held.has(address),
    release,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const a of [...held.keys()]) release(a);
        server.close(() => resolve());
      }),
  };
}
