import type { HttpErrorCode } from '@authmesh/contracts';

/** The JSON body of every error answer (except OAuth endpoints, which use RFC 6749 §5.2). */
export interface ErrorBody {
  code: string;
  message: string;
  requestId?: string;
  /** The W3C trace id of the request, when tracing is on (OTEL_EXPORTER_OTLP_ENDPOINT). */
  traceId?: string;
  details?: unknown;
}

/** Codes for statuses that reach us as plain HTTP errors (Nest's or Fastify's). */
export function codeForStatus(status: number): HttpErrorCode {
  switch (status) {
    case 400:
      return 'bad_request';
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 405:
      return 'method_not_allowed';
    case 406:
      return 'not_acceptable';
    case 408:
      return 'request_timeout';
    case 409:
      return 'conflict';
    case 413:
      return 'payload_too_large';
    case 415:
      return 'unsupported_media_type';
    case 422:
      return 'unprocessable_entity';
    case 429:
      return 'too_many_requests';
    case 503:
      return 'service_unavailable';
    default:
      return status >= 500 ? 'internal_error' : 'request_failed';
  }
}
