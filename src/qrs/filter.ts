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
