// Preloaded with `node --import` by the tests: a DNS outage on demand. While the file named in
// QSR_DNS_DOWN_FILE exists, every name lookup fails as getaddrinfo does for an unknown name (ENOTFOUND).
import dns from 'node:dns'
import { existsSync } from 'node:fs'

const flag = process.env.QSR_DNS_DOWN_FILE
const lookup = dns.lookup
if (flag) {
  dns.lookup = function (hostname, options, callback) {
    if (!existsSync(flag)) return lookup.call(this, hostname, options, callback)
    const done = typeof options === 'function' ? options : callback
    const error = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND', errno: -3008, syscall: 'getaddrinfo', hostname })
    process.nextTick(done, error)
    return {}
  }
}
