/**
 * Every error a caller can see, in one table. Bodies follow FusionAuth's error shape
 * (`{"generalErrors":[{"code","message"}]}`) so people reading logs on either side see one style.
 */
export const errorCodes = {
  invalidJson: { status: 400, code: '[invalidJson]', description: 'The body is not valid JSON.' },
  invalidBody: { status: 400, code: '[invalid]body', description: 'The JSON is not a message this endpoint understands.' },
  missingPhoneNumber: { status: 400, code: '[missing]phoneNumber', description: 'The body has no phone number.' },
  invalidPhoneNumber: { status: 400, code: '[invalid]phoneNumber', description: 'The phone number cannot be turned into a valid E.164 number.' },
  missingText: { status: 400, code: '[missing]textMessage', description: 'The body has no message text.' },
  invalidRequest: { status: 400, code: '[invalid]request', description: 'The request is malformed (bad header, bad parameter).' },
  notAuthorized: { status: 401, code: '[notAuthorized]', description: 'Authentication failed.' },
  forbidden: { status: 403, code: '[forbidden]', description: 'The source address or client certificate is not allowed.' },
  notFound: { status: 404, code: '[notFound]', description: 'No such path or record.' },
  methodNotAllowed: { status: 405, code: '[methodNotAllowed]', description: 'This path accepts another method.' },
  conflict: { status: 409, code: '[duplicate]', description: 'The record already exists.' },
  tooLarge: { status: 413, code: '[tooLarge]', description: 'The body is larger than the endpoint accepts.' },
  unsupportedMedia: { status: 415, code: '[unsupportedEncoding]', description: 'The body uses an encoding the relay does not accept.' },
  rateLimited: { status: 429, code: '[rateLimited]', description: 'A limit was reached; retry after the time given.' },
  destinationRefused: { status: 403, code: '[blocked]phoneNumber', description: "The number's country or type is refused by the relay's limits." },
  internal: { status: 500, code: '[internal]', description: 'Something unexpected failed inside the relay.' },
  deliveryFailed: { status: 502, code: '[deliveryFailed]', description: 'Every provider on the route failed.' },
  noProvider: { status: 503, code: '[noProvider]', description: 'No provider on the route can take this message now.' },
  unavailable: { status: 503, code: '[unavailable]', description: 'The relay is shutting down or its store is unreachable.' },
  deadlineExceeded: { status: 504, code: '[deadlineExceeded]', description: "The route's deadline passed before a provider accepted the message." },
  invalidKey: { status: 400, code: '[invalid]key', description: 'A signatureKey or encryptionKey is not an acceptable public JWK.' },
  invalidSignature: { status: 401, code: '[invalid]signature', description: "A device's signed request is not signed by its registered key, is stale, or was replayed." },
  invalidRedeemToken: { status: 404, code: '[invalid]token', description: 'The redeem token is unknown, expired or already redeemed (one answer for all three).' },
  unknownDispatcher: { status: 422, code: '[invalid]dispatcher', description: 'The dispatcher names no configured fcm provider.' },
} as const;

export type ErrorName = keyof typeof errorCodes;

export interface ErrorBody {
  generalErrors: { code: string; message: string }[];
  data?: Record<string, unknown>;
}

export class AppError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(
    readonly name_: ErrorName,
    message: string = errorCodes[name_].description,
    readonly data?: Record<string, unknown>,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'AppError';
    this.status = errorCodes[name_].status;
    this.code = errorCodes[name_].code;
  }

  toBody(): ErrorBody {
    const body: ErrorBody = { generalErrors: [{ code: this.code, message: this.message }] };
    if (this.data) body.data = this.data;
    return body;
  }
}

/** Raised while loading configuration: every problem, each with the path it concerns. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}
