/**
 * What a target's answer means for the record (DESIGN.md §4): delivered, worth retrying, or never
 * going to succeed as it is.
 */

/** Statuses worth retrying unless the integration says otherwise. */
export const DEFAULT_RETRYABLE_STATUSES: readonly number[] = [408, 425, 429, 500, 502, 503, 504];

export type StatusClass = 'success' | 'transient' | 'permanent';

/** 2xx → success; a status in `retryableStatuses` → transient; anything else → permanent. */
export function classifyStatus(
  status: number,
  retryableStatuses: readonly number[] = DEFAULT_RETRYABLE_STATUSES,
): StatusClass {
  if (status >= 200 && status <= 299) return 'success';
  return retryableStatuses.includes(status) ? 'transient' : 'permanent';
}

/** Error codes Node's sockets and undici report for a connection that failed or broke. */
const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
]);

/**
 * True for what `fetch` throws when the request never got an answer: a timeout or abort
 * (`TimeoutError`/`AbortError`), a network failure (`TypeError: fetch failed`, or an error whose
 * code, or its cause's, is a socket error). Anything else is a bug, not the target's fault.
 */
export function isTransientRequestError(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 4; depth++) {
    if (current.name === 'AbortError' || current.name === 'TimeoutError' || current instanceof TypeError)
      return true;
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_ERROR_CODES.has(code)) return true;
    current = current.cause;
  }
  return false;
}
