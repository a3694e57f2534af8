import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Webhook } from 'standardwebhooks';
import { guardedLookup } from './webhook-target.js';

export interface AttemptResult {
  statusCode: number | null;
  error: string | null;
}

const MAX_ERROR = 500;

/**
 * One POST of a signed event (Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature).
 * Redirects are not followed (a 3xx is a failed attempt), the target's addresses are checked at
 * connection time, and the whole attempt is bounded by `timeoutMs`.
 */
export function sendSigned(options: {
  url: string;
  secret: string;
  eventId: string;
  body: string;
  timeoutMs: number;
  allowPrivate: boolean;
}): Promise<AttemptResult> {
  const now = new Date();
  const signature = new Webhook(options.secret).sign(options.eventId, now, options.body);
  const target = new URL(options.url);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: AttemptResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    const req = send(
      target,
      {
        method: 'POST',
        lookup: guardedLookup(options.allowPrivate),
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(options.body),
          'user-agent': 'organigram-webhooks',
          'webhook-id': options.eventId,
          'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
          'webhook-signature': signature,
        },
      },
      (res) => {
        // The answer's body is not used: read and drop it (bounded by the timeout), then settle.
        res.on('data', () => undefined);
        res.on('end', () => finish({ statusCode: res.statusCode ?? null, error: null }));
        res.on('error', () => finish({ statusCode: res.statusCode ?? null, error: null }));
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      finish({ statusCode: null, error: `no answer within ${options.timeoutMs} ms` });
    }, options.timeoutMs);
    req.on('error', (error: NodeJS.ErrnoException) => {
      const reason = error.code === 'ETARGETREFUSED' ? `target refused: ${error.message}` : `${error.code ?? 'error'}: ${error.message}`;
      finish({ statusCode: null, error: reason.slice(0, MAX_ERROR) });
    });
    req.end(options.body);
  });
}
