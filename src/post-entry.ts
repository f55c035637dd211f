import { post } from './post.js'

// The post step's entry (action.yml runs.post: dist/post/index.js), a bundle of its own: it can only
// stop executions main saved in the step state, never start anything. With no state it sends nothing.
await post()
