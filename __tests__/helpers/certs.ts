import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { makeCertificates, type CertPaths } from '../../simulator/src/index.js'

/** One certificate set per machine name, shared by all test files (made once, then reused). */
export function testCertificates(machineName = 'qliksrv01.corp.example', serverNames = [machineName, 'localhost', '127.0.0.1']): CertPaths {
  const dir = join(tmpdir(), 'qlik-sense-reload-test-certs', `${machineName}_${serverNames.join('_')}`.replace(/[^\w.-]/g, '-'))
  return makeCertificates(dir, { machineName, serverNames })
}
