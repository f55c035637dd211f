import { run } from './main.js'

// The main step's entry (action.yml runs.main). The post step has an entry of its own, post-entry.ts:
// nothing here can run as the post step, whatever the step state says.
await run()
