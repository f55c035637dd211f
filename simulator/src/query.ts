/** Raw query string handling: done by hand so that a raw `&` in a filter shows up like on a server. */

export interface QueryParam {
  name: string
  /** undefined: the part had no `=` (what a raw `&` inside a value leaves behind). */
  value: string | undefined
}

export class QueryError extends Error {}

function decode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '))
  } catch {
    throw new QueryError(`Malformed URL encoding: ${text}`)
  }
}

export function parseQuery(raw: string): QueryParam[] {
  const params: QueryParam[] = []
  for (const part of raw.split('&')) {
    if (part === '') continue
    const eq = part.indexOf('=')
    if (eq < 0) params.push({ name: decode(part), value: undefined })
    else params.push({ name: decode(part.slice(0, eq)), value: decode(part.slice(eq + 1)) })
  }
  return params
}

/** First value of a parameter, name matched case-insensitively. */
export function getParam(params: QueryParam[], name: string): string | undefined {
  const lower = name.toLowerCase()
  return params.find((p) => p.name.toLowerCase() === lower)?.value
}
