import { describe, expect, it } from '@jest/globals'
import { chunks, eqGuid, eqText, quote } from '../../src/qrs/filter.js'

describe('QRS filter literals', () => {
  it("escapes ' as \\' and \\ as \\\\ (not OData's '')", () => {
    expect(quote("O'Brien")).toBe("'O\\'Brien'")
    expect(quote('a\\b')).toBe("'a\\\\b'")
    expect(quote("x\\'y")).toBe("'x\\\\\\'y'")
  })

  it('keeps non-ASCII letters and & # as they are (the client URL-encodes them)', () => {
    expect(eqText('name', 'Umsätze & Co #1')).toBe("name eq 'Umsätze & Co #1'")
  })

  it('leaves GUIDs unquoted and refuses anything else there', () => {
    expect(eqGuid('ExecutionId', '0d815a2b-4d6c-4f7e-9a6b-1b2c3d4e5f60')).toBe('ExecutionId eq 0d815a2b-4d6c-4f7e-9a6b-1b2c3d4e5f60')
    expect(() => eqGuid('id', "x' or 1 eq 1")).toThrow()
  })

  it('or-chains many terms in as few filters as stay under the URL budget, each with the items it covers', () => {
    const ids = Array.from({ length: 100 }, (_, i) => `0d815a2b-4d6c-4f7e-9a6b-${String(i).padStart(12, '0')}`)
    const parts = chunks(ids, id => eqGuid('id', id))
    // `id eq <guid>` is 45 bytes encoded, ` or ` 8: 28 per 1,536 bytes.
    expect(parts.map(p => p.items.length)).toEqual([28, 28, 28, 16])
    for (const part of parts) {
      expect(encodeURIComponent(part.filter).length).toBeLessThanOrEqual(1_536)
      expect(part.filter).toBe(part.items.map(id => `id eq ${id}`).join(' or '))
    }
    expect(parts.flatMap(p => p.items)).toEqual(ids)
    // A smaller budget splits further; a term over the budget goes alone; nothing gives nothing.
    expect(chunks(ids.slice(0, 4), id => eqGuid('id', id), 100).map(p => p.items.length)).toEqual([2, 2])
    expect(chunks(['x'.repeat(300), 'y'], t => t, 100).map(p => p.filter)).toEqual(['x'.repeat(300), 'y'])
    expect(chunks([], t => t)).toEqual([])
  })
})
