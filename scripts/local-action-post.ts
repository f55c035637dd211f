// @github/local-action calls an entrypoint's run(): the post step under that name.
export { post as run } from '../src/post.js'
