/**
 * Real receivers for the notification relay, started by a test: an HTTP webhook receiver that
 * fails the first attempts of each notification and checks every signature, and an SMTP server
 * (smtp-server) that refuses the first attempt of each e-mail and parses what it accepts (mailparser).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { verifyWebhookSignature } from '../../notifications/delivery';

export interface WebhookCall {
  id: string;
  status: number;
  signatureOk: boolean;
  body: Record<string, unknown>;
}

export interface WebhookReceiver {
  url: string;
  /** Every request, in order of arrival. */
  calls: WebhookCall[];
  /** The bodies answered 2xx, per idempotency key. */
  accepted: Map<string, Record<string, unknown>[]>;
  /** The secret signatures are checked against (set once the settings answered it). */
  secret: string;
  close(): Promise<void>;
}

/**
 * Answers 500 to the first `failFirst` attempts of each idempotency key, 401 to a bad signature,
 * else (after `delayMs`) 200 — or `status()` when given.
 */
export async function startWebhookReceiver(options: { secret?: string; failFirst?: number; delayMs?: number; status?: (id: string) => number } = {}): Promise<WebhookReceiver> {
  const seen = new Map<string, number>();
  const receiver: WebhookReceiver = { url: '', calls: [], accepted: new Map(), secret: options.secret ?? '', close: async () => undefined };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const id = String(req.headers['idempotency-key'] ?? '');
      const signatureOk = verifyWebhookSignature(receiver.secret, raw, req.headers['x-pp-signature'] as string | undefined);
      const attempt = (seen.get(id) ?? 0) + 1;
      seen.set(id, attempt);
      const status = !signatureOk ? 401 : attempt <= (options.failFirst ?? 0) ? 500 : (options.status?.(id) ?? 200);
      const body = JSON.parse(raw) as Record<string, unknown>;
      receiver.calls.push({ id, status, signatureOk, body });
      const answer = () => {
        if (status >= 200 && status < 300) receiver.accepted.set(id, [...(receiver.accepted.get(id) ?? []), body]);
        res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'no');
      };
      if (options.delayMs) setTimeout(answer, options.delayMs);
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  receiver.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return receiver;
}

export interface SmtpReceiver {
  url: string;
  /** Attempts per notification id (from the X-PP-Notification-Id header), refused or not. */
  attempts: Map<string, number>;
  /** The e-mails accepted, per notification id. */
  accepted: Map<string, ParsedMail[]>;
  close(): Promise<void>;
}

/** An SMTP server on a free port (no TLS, no authentication) that refuses the first `failFirst` attempts of each notification with a 451. */
export async function startSmtpReceiver(options: { failFirst?: number } = {}): Promise<SmtpReceiver> {
  const attempts = new Map<string, number>();
  const accepted = new Map<string, ParsedMail[]>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, _session, callback) {
      simpleParser(stream).then(
        (mail) => {
          const id = String(mail.headers.get('x-pp-notification-id') ?? '');
          const attempt = (attempts.get(id) ?? 0) + 1;
          attempts.set(id, attempt);
          if (attempt <= (options.failFirst ?? 0)) {
            const refusal = new Error('暂时无法接收，请稍后重试') as Error & { responseCode: number };
            refusal.responseCode = 451;
            callback(refusal);
            return;
          }
          accepted.set(id, [...(accepted.get(id) ?? []), mail]);
          callback();
        },
        (err: Error) => callback(err),
      );
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    attempts,
    accepted,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
