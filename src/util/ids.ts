/** Qlik's ids are GUIDs; an id goes into paths, filters and file names, so nothing else is taken for one. */
export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** An id as Qlik writes one (a GUID): ids the server sends are checked before they are used or printed. */
export function isGuid(value: unknown): value is string {
  return typeof value === 'string' && GUID.test(value)
}

/** The same id or name as Qlik compares them: without regard to case. Absent is never the same. */
export function sameText(a: string | null | undefined, b: string): boolean {
  return typeof a === 'string' && a.toLowerCase() === b.toLowerCase()
}
