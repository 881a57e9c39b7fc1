import type { HttpGateway } from './servers/http-gateway';

/** An `http` provider entry that sends to `gw` (form POST with `to` and `text`), carrying the delivery id in Idempotency-Key. */
export function httpProviderAt(gw: HttpGateway, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: 'http', url: `${gw.url}/send`, options: { to: '{phone}', text: '{message}' }, idempotencyHeader: 'Idempotency-Key', ...extra };
}

/** Texts the gateway accepted (2xx), in arrival order. */
export const acceptedTexts = (gw: HttpGateway): string[] =>
  gw.requests.filter((r) => typeof r.answer === 'number' && r.answer < 300).map((r) => String(r.form?.text));
