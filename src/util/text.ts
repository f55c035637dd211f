/** A line of server text longer than this is cut: a log line that never ends must not fill the memory. */
export const MAX_LINE_CHARS = 4_000

/** The first line of a message: for one-line log lines and headings. */
export function firstLine(text: string): string {
  return text.split('\n')[0]
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
