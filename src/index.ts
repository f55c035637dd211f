import { run } from './main.js'
import { post } from './post.js'
import { isPost } from './run/state.js'
import { actionsToolkit } from './toolkit/actions.js'

// One bundle for both steps: main saves isPost in the step state, which the runner hands to post.
if (isPost(actionsToolkit)) await post()
else await run()
