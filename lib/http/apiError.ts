/** One entry of `error.details`: a single, field-level problem. */
export interface ErrorDetail {
  code: string;
  message: string;
  target?: string;
}

/** The error body every route answers with: `{ error: { code, message, target?, details? } }`. */
export interface ErrorBody {
  error: { code: string; message: string; target?: string; details?: ErrorDetail[] };
}

/** A structurally `HttpResponseInit`-compatible error response (lib/ does not import Functions). */
export interface ErrorResponse {
  status: number;
  jsonBody: ErrorBody;
  headers?: Record<string, string>;
}

/** An error meant for the caller: its status, code and message are sent as they are. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly target?: string,
    readonly details?: ErrorDetail[],
    /** Response headers that belong to the error (`Retry-After`, `x-output-uri`). */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const notFound = (what: string, target?: string): ApiError =>
  new ApiError(404, 'NotFound', `${what} was not found.`, target);

export const conflict = (message: string, target?: string): ApiError => new ApiError(409, 'Conflict', message, target);

/**
 * Turns anything thrown into the error body. Only ApiError text reaches the caller: other errors
 * may carry internals (connection strings, stacks), so they become a generic 500.
 */
export function toErrorResponse(err: unknown): ErrorResponse {
  if (err instanceof ApiError) {
    const { code, message, target, details, headers } = err;
    return {
      status: err.status,
      jsonBody: {
        error: { code, message, ...(target ? { target } : {}), ...(details?.length ? { details } : {}) },
      },
      ...(headers ? { headers } : {}),
    };
  }
  return {
    status: 500,
    jsonBody: { error: { code: 'InternalError', message: 'The service hit an unexpected error. Try again later.' } },
  };
}
