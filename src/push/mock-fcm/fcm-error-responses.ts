/** FCM's errors as Google sends them (reference/push-fcm.md §2): HTTP status, canonical status, and an FcmError detail. */
export const FCM_ERRORS = {
  INVALID_ARGUMENT: { http: 400, status: 'INVALID_ARGUMENT', message: 'Request contains an invalid argument.' },
  UNREGISTERED: { http: 404, status: 'NOT_FOUND', message: 'Requested entity was not found.' },
  SENDER_ID_MISMATCH: { http: 403, status: 'PERMISSION_DENIED', message: 'SenderId mismatch' },
  QUOTA_EXCEEDED: { http: 429, status: 'RESOURCE_EXHAUSTED', message: 'Quota exceeded for quota metric "Send requests".' },
  UNAVAILABLE: { http: 503, status: 'UNAVAILABLE', message: 'The service is currently unavailable.' },
  INTERNAL: { http: 500, status: 'INTERNAL', message: 'Internal error encountered.' },
  THIRD_PARTY_AUTH_ERROR: { http: 401, status: 'UNAUTHENTICATED', message: 'Auth error from APNS or Web Push Service' },
} as const;

export type FcmErrorCode = keyof typeof FCM_ERRORS;

export function fcmErrorBody(code: FcmErrorCode, message?: string): { http: number; body: unknown } {
  const e = FCM_ERRORS[code];
  return {
    http: e.http,
    body: {
      error: {
        code: e.http,
        message: message ?? e.message,
        status: e.status,
        details: [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode: code }],
      },
    },
  };
}

/** Google's answer to a missing, unknown or expired access token: no FcmError detail, only the canonical status. */
export const UNAUTHENTICATED_BODY = {
  error: {
    code: 401,
    message: 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
    status: 'UNAUTHENTICATED',
  },
};
