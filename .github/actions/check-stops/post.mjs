// Asks the simulator (GET /__sim/stops) how often the task was stopped, once the post steps that could
// stop it have run; fails unless exactly one stop reached it and aborted a running execution.
import { readFileSync } from 'node:fs'
import { get } from 'node:https'

const input = name => process.env[`INPUT_${name.toUpperCase()}`] ?? ''
const url = new URL('/__sim/stops', input('url'))
const body = await new Promise((resolve, reject) => {
  get(url, { ca: readFileSync(input('ca-cert')) }, response => {
    let text = ''
    response.setEncoding('utf8')
    response.on('data', chunk => (text += chunk))
    response.on('end', () => (response.statusCode === 200 ? resolve(text) : reject(new Error(`GET ${url}: HTTP ${response.statusCode}`))))
  }).on('error', reject)
})
const stops = JSON.parse(body).filter(stop => stop.taskId === input('task-id'))
console.log(`Stops of task ${input('task-id')} after the post steps: ${JSON.stringify(stops)}`)
if (stops.length !== 1 || !stops[0].aborted) {
  console.log(`::error::Expected one stop that aborted the running execution, found ${stops.length} stop(s)`)
  process.exitCode = 1
}
