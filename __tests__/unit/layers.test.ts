import { describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import type { DependencyTree } from 'dpdm'
import { mutualPairs, problems, readLayers, unitOf } from '../../scripts/layers.js'

const NOTE = '# note\n```layers\n*.ts        # the steps\nreport/\nchain/ scriptlog/\nreload/\nutil/\n```\n'

/** A dpdm tree from `file: [imports]`. */
function tree(edges: Record<string, string[]>): DependencyTree {
  return Object.fromEntries(Object.entries(edges).map(([issuer, ids]) => [issuer, ids.map(id => ({ issuer, request: id, kind: 'StaticImport' as never, id }))]))
}

describe('the layer check (scripts/layers.ts)', () => {
  it('reads the layers from the note, top first, units of a line side by side', () => {
    const layers = readLayers(NOTE)
    expect([...layers]).toEqual([
      ['*.ts', 0],
      ['report/', 1],
      ['chain/', 2],
      ['scriptlog/', 2],
      ['reload/', 3],
      ['util/', 4]
    ])
    expect(() => readLayers('no block')).toThrow(/no ```layers block/)
    expect(() => readLayers('```layers\nutil/\nutil/\n```')).toThrow(/util\/ is in two layers/)
  })

  it('names a file by its folder, and the files at the top of src/ together', () => {
    expect(unitOf('src/reload/wait.ts')).toBe('reload/')
    expect(unitOf('src/main.ts')).toBe('*.ts')
  })

  it('lets a file import its own folder and the layers below, and refuses an import up or sideways', () => {
    const layers = readLayers(NOTE)
    const ok = tree({
      'src/main.ts': ['src/post.ts', 'src/report/a.ts'],
      'src/report/a.ts': ['src/chain/b.ts', 'src/util/c.ts', 'node_modules/x/index.js'],
      'src/chain/b.ts': ['src/reload/d.ts']
    })
    expect(problems(ok, layers)).toEqual([])
    const bad = tree({ 'src/reload/d.ts': ['src/report/a.ts'], 'src/chain/b.ts': ['src/scriptlog/e.ts'], 'src/extra/f.ts': [] })
    expect(problems(bad, layers)).toEqual([
      { from: 'src/reload/d.ts', to: 'src/report/a.ts', why: 'reload/ imports report/, a layer above it' },
      { from: 'src/chain/b.ts', to: 'src/scriptlog/e.ts', why: 'chain/ imports scriptlog/, beside it in the same layer' },
      { from: 'src/extra/f.ts', to: '', why: 'extra/ is in no layer of src/ARCHITECTURE.md: place it there' }
    ])
  })

  it('counts the pairs of folders that import each other', () => {
    expect(mutualPairs(tree({ 'src/a/x.ts': ['src/b/y.ts'], 'src/b/y.ts': ['src/a/z.ts'], 'src/c/w.ts': ['src/a/x.ts'] }))).toEqual(['a/ ↔ b/'])
  })

  it('reads the note in src/: the steps at the top, util at the bottom', () => {
    const layers = readLayers(readFileSync('src/ARCHITECTURE.md', 'utf8'))
    expect(layers.get('util/')).toBe(Math.max(...layers.values()))
    expect(layers.get('*.ts')).toBe(0)
  })
})
