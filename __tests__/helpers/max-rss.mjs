// Preloaded with `node --import` by the tests: writes the process's peak memory (maxRSS, KiB) on exit.
import { writeFileSync } from 'node:fs'

const file = process.env.QSR_MAX_RSS_FILE
if (file) process.on('exit', () => writeFileSync(file, String(process.resourceUsage().maxRSS)))
