/** The QRS answered, but not with what the call needed. Error bodies are text or HTML, never JSON. */
export class QrsError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly body: string,
    hint?: string,
    /** From a Retry-After header (429, 503). */
    readonly retryAfterMs?: number
  ) {
    super(`${method} ${path} answered ${status}${excerpt(body) ? `: ${excerpt(body)}` : ''}${hint ? `\n${hint}` : ''}`)
    this.name = 'QrsError'
  }
}

/** The request never got an answer: DNS, TCP, TLS or a timeout. */
export class ConnectionError extends Error {
  constructor(
    message: string,
    /** Worth another try (reset, timeout, refused); TLS and DNS problems are not. */
    readonly transient = false
  ) {
    super(message)
    this.name = 'ConnectionError'
  }
}

/** Seconds or an HTTP date, as Retry-After allows. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

/** The first part of an error body, HTML tags stripped, on one line. */
export function excerpt(body: string, max = 300): string {
  const text = body
    .replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
  return text.length > max ? `${text.slice(0, max)}…` : text
}

export function looksLikeHtml(contentType: string, body: string): boolean {
  return /html/i.test(contentType) || /^\s*</.test(body)
}

/** What a user can do about a status, whatever the auth type; the auth module explains refusals. */
export function hintForStatus(status: number, body: string): string | undefined {
  if (status === 403 && /XSRF/i.test(body)) {
    return 'The xrfkey sent in the query and the X-Qlik-Xrfkey header did not reach the server intact: a proxy in between may rewrite query strings.'
  }
  if (status === 403 && /inactive/i.test(body)) {
    return 'The Qlik user is inactive: activate it in the QMC (Users) or use another user.'
  }
  if (status === 400 && looksLikeHtml('', body)) {
    return 'The proxy answered with an error page: check that the virtual proxy is linked to a proxy service (QMC > Virtual proxies > Associated items > Proxies) and that url uses its prefix.'
  }
  if (status === 500 && /Authentication error/i.test(body)) {
    return 'The server lost the session (e.g. after a failover): run the step again.'
  }
  return undefined
}
