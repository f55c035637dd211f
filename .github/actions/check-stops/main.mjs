// The check is in post.mjs: it must run after the post steps of the actions that follow this one.
console.log('The stops of the task are checked in the post phase, after the post steps of the steps that follow.')
