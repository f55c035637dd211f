/**
 * QRS filter literals. Inside quotes the QRS escapes `'` as `\'` and `\` as `\\`;
 * OData's doubled quote is rejected with "Cannot parse the expression".
 * The whole filter is URL-encoded later by the client (a raw `&` or `#` would cut the query).
 */
export function quote(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
}

/** `field eq 'text'`. GUIDs go unquoted in QRS filters; use `eqGuid` for them. */
export function eqText(field: string, value: string): string {
  return `${field} eq ${quote(value)}`
}

export function eqGuid(field: string, guid: string): string {
  if (!/^[0-9a-f-]{36}$/i.test(guid)) throw new Error(`not a GUID: ${guid}`)
  return `${field} eq ${guid}`
}

/**
 * A request target (path, encoded query, xrfkey) stays under about 2 KB, which every common front end
 * passes (docs/qrs-protocol.md section 4): a batched filter keeps to this, the path and the other
 * parameters taking the rest.
 */
const FILTER_BUDGET_BYTES = 1_536

/**
 * `a or b or c ...` of the items' terms, split into as few filters as keep each under `budget` bytes once
 * URL-encoded (one request per filter), each with the items it covers. A single term over the budget goes
 * alone (the server then says what it thinks of it).
 */
export function chunks<T>(items: T[], term: (item: T) => string, budget = FILTER_BUDGET_BYTES): { filter: string; items: T[] }[] {
  const out: { filter: string; items: T[] }[] = []
  const joiner = encodeURIComponent(' or ').length
  let terms: string[] = []
  let covered: T[] = []
  let bytes = 0
  for (const item of items) {
    const text = term(item)
    const cost = encodeURIComponent(text).length
    if (terms.length > 0 && bytes + joiner + cost > budget) {
      out.push({ filter: terms.join(' or '), items: covered })
      terms = []
      covered = []
      bytes = 0
    }
    bytes += (terms.length > 0 ? joiner : 0) + cost
    terms.push(text)
    covered.push(item)
  }
  if (terms.length > 0) out.push({ filter: terms.join(' or '), items: covered })
  return out
}
