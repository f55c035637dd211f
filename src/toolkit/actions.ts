import * as core from '@actions/core'
import type { Toolkit } from './toolkit.js'

/** The toolkit on @actions/core, as the runner (and @github/local-action's stand-in) provides it. */
export const actionsToolkit: Toolkit = {
  getInput: (name, options) => core.getInput(name, { trimWhitespace: options?.trim ?? true }),
  setOutput: (name, value) => core.setOutput(name, value),
  saveState: (name, value) => core.saveState(name, value),
  getState: name => core.getState(name),
  info: message => core.info(message),
  debug: message => core.debug(message),
  warning: (message, properties) => core.warning(message, properties),
  error: (message, properties) => core.error(message, properties),
  group: (title, fn) => core.group(title, fn),
  setSecret: secret => core.setSecret(secret),
  writeSummary: async html => {
    // A run by hand has no GITHUB_STEP_SUMMARY.
    if (!process.env.GITHUB_STEP_SUMMARY) return
    await core.summary.emptyBuffer().addRaw(html).write()
  },
  // Not core.setFailed (it adds an annotation without a title) nor core.ExitCode (toolkit stand-ins lack it).
  fail: () => {
    process.exitCode = 1
  }
}
