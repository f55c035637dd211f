import { describe, expect, it } from '@jest/globals'
import { eqGuid, eqText, quote } from '../../src/qrs/filter.js'

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
})
