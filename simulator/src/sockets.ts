/** Connection-level helpers the HTTP listeners and the engine's WebSocket upgrades share. */
import type { Socket } from 'node:net'
import type { TLSSocket } from 'node:tls'

/**
 * Drops the connection without an answer, with a TCP RST: the raw TCP socket under the TLS socket
 * (Node keeps it as `_parent`) is reset; where that is not possible the TLS socket is destroyed
 * (a close without close_notify). Node clients see ECONNRESET ("read ECONNRESET", or "socket hang up").
 */
export function resetConnection(socket: Socket): void {
  const tls = socket as TLSSocket & { _parent?: { resetAndDestroy?: () => void } }
  try {
    tls._parent?.resetAndDestroy?.()
  } catch {
    // not a TCP handle: the destroy below still drops the connection
  }
  socket.destroy()
}

/** The CN of the client certificate the peer presented, if any. */
export function peerCN(socket: Socket): string | undefined {
  const cn = (socket as TLSSocket).getPeerCertificate?.()?.subject?.CN
  return Array.isArray(cn) ? cn[0] : cn || undefined
}
