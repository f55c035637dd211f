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
  const text = stripTags(body, max + 1)
    .replace(/\s+/g, ' ')
    .trim()
  return text.length > max ? `${text.slice(0, max)}…` : text
}

/**
 * The text of an HTML body (tags, scripts and styles removed), up to about `want` characters. One
 * pass: each `<` is looked at once and an unclosed tag or `<script` ends the text, so a hostile
 * body of many unclosed tags costs linear time (a regex made it quadratic: 1 MB took 80 s).
 */
function stripTags(body: string, want = Infinity): string {
  let text = ''
  let at = 0
  // Whitespace collapses later: keep a generous margin over `want`.
  while (at < body.length && text.length <= want * 4 + 1024) {
    const open = body.indexOf('<', at)
    if (open < 0) {
      text += body.slice(at)
      break
    }
    text += body.slice(at, open)
    const raw = /^<(script|style)\b/i.exec(body.slice(open, open + 8))?.[1]
    const close = raw ? indexOfCaseless(body, raw.toLowerCase() === 'script' ? SCRIPT_END : STYLE_END, open) : body.indexOf('>', open)
    if (close < 0) break
    const end = raw ? body.indexOf('>', close) : close
    if (end < 0) break
    if (!text.endsWith(' ')) text += ' '
    at = end + 1
  }
  return text
}

const SCRIPT_END = /<\/script/gi
const STYLE_END = /<\/style/gi

/** Searches from `from` without copying the text. */
function indexOfCaseless(text: string, pattern: RegExp, from: number): number {
  pattern.lastIndex = from
  return pattern.exec(text)?.index ?? -1
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
