import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { AppError } from '../errors';
import { StoreUnavailableError } from '../store/store-unavailable';

interface BodyParserError extends Error {
  type?: string;
  status?: number;
}

/** body-parser's failures are the caller's, never ours: give each its precise 4xx. */
function fromBodyParser(e: BodyParserError): AppError | undefined {
  switch (e.type) {
    case 'entity.parse.failed':
      return new AppError('invalidJson', 'the body is not valid JSON');
    case 'entity.too.large':
      return new AppError('tooLarge', 'the body is larger than this endpoint accepts');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError('unsupportedMedia', 'the body must be uncompressed UTF-8 JSON');
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return new AppError('invalidRequest', 'the request body was incomplete');
    default:
      return e.status && e.status >= 400 && e.status < 500 ? new AppError('invalidRequest', 'malformed request') : undefined;
  }
}

export function notFound(): RequestHandler {
  return (_req, _res, next) => next(new AppError('notFound', 'no such path'));
}

export function errorMiddleware(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const known = err instanceof AppError ? err : fromBodyParser(err as BodyParserError);
    const appErr = known ?? new AppError('internal', 'internal error');
    const log = (req as { log?: Logger }).log ?? logger;
    if (!known) log.error({ err }, 'unhandled error');
    else if (err instanceof StoreUnavailableError) log.error({ code: appErr.code, store: err.engine, reason: err.reason }, 'store unavailable');
    else if (appErr.status >= 500) log.error({ code: appErr.code, reason: appErr.message }, 'request failed');
    else log.warn({ code: appErr.code, reason: appErr.message }, 'request refused');
    if (res.headersSent) return res.end();
    for (const [k, v] of Object.entries(appErr.headers ?? {})) res.setHeader(k, v);
    res.status(appErr.status).json(appErr.toBody());
  };
}
