import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { actionsToolkit } from '../../src/toolkit/actions.js'
import { parseCommandFile } from '../helpers/local-runner.js'

// The toolkit the step uses on a runner: @actions/core reading INPUT_* and STATE_*, writing the
// runner's files and workflow commands. Checked against the files and stdout as the runner reads them.
let dir: string
let stdout: string[]
const saved = { ...process.env }
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'toolkit-'))
  for (const name of ['GITHUB_OUTPUT', 'GITHUB_STATE', 'GITHUB_STEP_SUMMARY']) {
    process.env[name] = join(dir, name)
    writeFileSync(process.env[name], '')
  }
  stdout = []
  jest.spyOn(process.stdout, 'write').mockImplementation(chunk => {
    stdout.push(String(chunk))
    return true
  })
})
afterEach(() => {
  jest.restoreAllMocks()
  process.env = { ...saved }
  process.exitCode = undefined
  rmSync(dir, { recursive: true, force: true })
})

describe('the @actions/core toolkit', () => {
  it('reads inputs trimmed unless asked not to, and state', () => {
    process.env['INPUT_USER-AGENT'] = '  Windows  '
    process.env.STATE_execution = 'e1'
    expect(actionsToolkit.getInput('user-agent')).toBe('Windows')
    expect(actionsToolkit.getInput('user-agent', { trim: false })).toBe('  Windows  ')
    expect(actionsToolkit.getState('execution')).toBe('e1')
  })

  it('writes outputs and state to the runner files, multi-line values intact', () => {
    actionsToolkit.setOutput('result', 'line one\nline two')
    actionsToolkit.saveState('done', 'true')
    expect(parseCommandFile(readFileSync(join(dir, 'GITHUB_OUTPUT'), 'utf8'))).toEqual({ result: 'line one\nline two' })
    expect(parseCommandFile(readFileSync(join(dir, 'GITHUB_STATE'), 'utf8'))).toEqual({ done: 'true' })
  })

  it('prints log lines, annotations with titles, groups and masks as workflow commands', async () => {
    actionsToolkit.info('plain')
    actionsToolkit.debug('detail')
    actionsToolkit.warning('careful', { title: 'Heads up' })
    actionsToolkit.error('broken', { title: 'Reload failed' })
    actionsToolkit.setSecret('s3cret')
    expect(await actionsToolkit.group('Wait', async () => 42)).toBe(42)
    const out = stdout.join('')
    expect(out).toContain('plain\n')
    expect(out).toContain('::debug::detail')
    expect(out).toContain('::warning title=Heads up::careful')
    expect(out).toContain('::error title=Reload failed::broken')
    expect(out).toContain('::add-mask::s3cret')
    expect(out).toMatch(/::group::Wait\n[\s\S]*::endgroup::/)
  })

  it('writes the summary, and skips it when the runner gives no summary file', async () => {
    await actionsToolkit.writeSummary('<h3>Done</h3>')
    expect(readFileSync(join(dir, 'GITHUB_STEP_SUMMARY'), 'utf8')).toBe('<h3>Done</h3>')
    delete process.env.GITHUB_STEP_SUMMARY
    await expect(actionsToolkit.writeSummary('<h3>Again</h3>')).resolves.toBeUndefined()
  })

  it('fails the step by exit code alone, adding no annotation', () => {
    actionsToolkit.fail()
    expect(process.exitCode).toBe(1)
    expect(stdout.join('')).not.toContain('::error')
  })
})
