import { invalidRequest, missingToken, type AuthFailure } from './errors';

/** The part of an HTTP request auth needs; a Fetch `Request` and Azure Functions' HttpRequest fit. */
export interface AuthRequest {
  url: string;
  headers: { get(name: string): string | null };
}

// RFC 6750 §2.1: b64token after the scheme; the scheme itself is case-insensitive (RFC 7235).
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * Finds the token in `Authorization: Bearer <token>` and nowhere else. A token in the query string
 * (RFC 6750 §2.3) is refused: URLs end up in logs, proxies and browser history.
 */
export function bearerToken(request: AuthRequest, realm?: string): { ok: true; token: string } | AuthFailure {
  const query = new URL(request.url, 'http://localhost').searchParams;
  if (query.has('access_token')) {
    return invalidRequest(
      'Access tokens in the query string (access_token) are refused; send "Authorization: Bearer <token>" instead.',
      realm,
    );
  }
  const header = request.headers.get('authorization');
  if (header === null || !/^Bearer(\s|$)/i.test(header.trim())) return missingToken(realm);
  const match = BEARER.exec(header.trim());
  if (!match) {
    return invalidRequest('The Authorization header must be "Bearer <token>" with exactly one token.', realm);
  }
  return { ok: true, token: match[1] };
}
