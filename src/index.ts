import { run } from './main.js'

// The runner starts `node dist/index.js`; failures are reported through core.setFailed in run().
await run()
