import type { Verdict } from '../provider';
import type { HttpAnswer } from './http-client';

const FCM_ERROR_TYPE = 'type.googleapis.com/google.firebase.fcm.v1.FcmError';

export interface FcmErrorInfo {
  /** FcmError.errorCode when present (UNREGISTERED, …), else the canonical status (NOT_FOUND, …), else `HTTP_<n>`. */
  code: string;
  message: string;
}

/** Reads `details[].errorCode` of type FcmError first, then `status`: what firebase-admin's getErrorCode does. */
export function parseFcmError(res: HttpAnswer): FcmErrorInfo {
  let error: { status?: unknown; message?: unknown; details?: unknown } | undefined;
  try {
    error = (JSON.parse(res.text) as { error?: typeof error }).error;
  } catch {
    // Not JSON (a proxy's HTML page, a load balancer's text): the HTTP status is all there is.
  }
  const details = Array.isArray(error?.details) ? (error.details as Record<string, unknown>[]) : [];
  const fcm = details.find((d) => d?.['@type'] === FCM_ERROR_TYPE && typeof d.errorCode === 'string');
  const code = (fcm?.errorCode as string | undefined) ?? (typeof error?.status === 'string' ? error.status : `HTTP_${res.status}`);
  const message = typeof error?.message === 'string' ? error.message.slice(0, 300) : `HTTP ${res.status}`;
  return { code, message };
}

/** Retry-After in seconds or as an HTTP date; capped at an hour so one odd header cannot silence push for a day. */
export function retryAfterMs(res: HttpAnswer, now = Date.now()): number | undefined {
  const raw = res.headers['retry-after'];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (!value) return undefined;
  const seconds = /^\d+$/.test(value.trim()) ? Number(value.trim()) * 1000 : Date.parse(value) - now;
  if (!Number.isFinite(seconds) || seconds < 0) return undefined;
  return Math.min(seconds, 3_600_000);
}

export interface ErrorMapping {
  verdict: Verdict;
  /** The FCM token is dead: mark the target unregistered (nevis' remove-unregistered-clients). */
  unregistered?: boolean;
  /** Honour Retry-After for the whole project (server trouble) or only this device (its quota). */
  backoff?: 'project' | 'target';
}

/**
 * What one device's failure means. No push error is `permanent`: permanent stops the route, and a push failure says
 * something about a device or about FCM, never that the phone number is invalid, so SMS must still be tried.
 */
export function mapFcmError(code: string, status: number): ErrorMapping {
  switch (code) {
    case 'UNREGISTERED':
      return { verdict: 'failover', unregistered: true };
    case 'QUOTA_EXCEEDED':
    case 'RESOURCE_EXHAUSTED':
      return { verdict: 'retryable', backoff: 'target' };
    case 'UNAVAILABLE':
    case 'INTERNAL':
      return { verdict: 'retryable', backoff: 'project' };
    case 'INVALID_ARGUMENT':
    case 'SENDER_ID_MISMATCH':
    case 'THIRD_PARTY_AUTH_ERROR':
    case 'PERMISSION_DENIED':
    case 'UNAUTHENTICATED':
    case 'NOT_FOUND':
      return { verdict: 'failover' };
    default:
      return { verdict: status === 429 || status >= 500 ? 'retryable' : 'failover', backoff: status >= 500 ? 'project' : undefined };
  }
}
