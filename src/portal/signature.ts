/**
 * The webhook signature, both ways (docs/portal.md): HMAC-SHA256 with the shared secret over
 * `<timestamp>.<raw body>`, sent as `X-Tgdesk-Signature: v1=<hex>` beside
 * `X-Tgdesk-Timestamp: <unix seconds>`. Signing the timestamp with the body lets a receiver
 * refuse a captured request replayed later; several `v1=` values, comma-separated, let a secret
 * be rotated without a gap.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-tgdesk-signature';
export const TIMESTAMP_HEADER = 'x-tgdesk-timestamp';
export const IDEMPOTENCY_HEADER = 'idempotency-key';
export const EVENT_HEADER = 'x-tgdesk-event';

/** How far a request's timestamp may be from the receiver's clock. */
export const TIMESTAMP_TOLERANCE_S = 300;

export function signature(secret: string, timestampSeconds: number, body: string | Buffer): string {
  const mac = createHmac('sha256', secret);
  mac.update(`${timestampSeconds}.`);
  mac.update(body);
  return `v1=${mac.digest('hex')}`;
}

/** The headers that sign `body` at `nowMs`. */
export function signedHeaders(secret: string, body: string | Buffer, nowMs: number): Record<string, string> {
  const ts = Math.floor(nowMs / 1000);
  return { [TIMESTAMP_HEADER]: String(ts), [SIGNATURE_HEADER]: signature(secret, ts, body) };
}

export type Verdict = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** Checks a request's signature and that its timestamp is recent; constant time in the comparison. */
export function verifySignature(
  secret: string,
  headers: { readonly timestamp: string | undefined; readonly signature: string | undefined },
  body: Buffer | string,
  nowMs: number,
  toleranceS = TIMESTAMP_TOLERANCE_S,
): Verdict {
  if (!headers.timestamp || !/^\d{1,12}$/.test(headers.timestamp)) return { ok: false, reason: `missing or malformed ${TIMESTAMP_HEADER}` };
  if (!headers.signature) return { ok: false, reason: `missing ${SIGNATURE_HEADER}` };
  const ts = Number(headers.timestamp);
  if (Math.abs(nowMs / 1000 - ts) > toleranceS) return { ok: false, reason: `the timestamp is more than ${toleranceS} s away from now` };
  const expected = Buffer.from(signature(secret, ts, body));
  for (const candidate of headers.signature.split(',').map((s) => s.trim())) {
    const given = Buffer.from(candidate);
    if (given.length === expected.length && timingSafeEqual(given, expected)) return { ok: true };
  }
  return { ok: false, reason: 'the signature does not match' };
}
