/** What a user can do about an answer the QRS (or something in front of it) gave. */

export function looksLikeHtml(contentType: string, body: string): boolean {
  return /html/i.test(contentType) || /^\s*</.test(body)
}

/** What a user can do about a status, whatever the auth type; the auth module explains refusals. */
export function hintForStatus(status: number, body: string): string | undefined {
  if (status === 403 && /XSRF/i.test(body)) {
    return 'The xrfkey sent in the query and the X-Qlik-Xrfkey header did not reach the server intact: a proxy in between may rewrite query strings.'
  }
  if (status === 403 && /inactive/i.test(body)) {
    return 'The Qlik user is inactive: activate it in the QMC (Users) or use another user.'
  }
  if (status === 400 && looksLikeHtml('', body)) {
    return 'The proxy answered with an error page: check that the virtual proxy is linked to a proxy service (QMC > Virtual proxies > Associated items > Proxies) and that url uses its prefix.'
  }
  if (status === 500 && /Authentication error/i.test(body)) {
    return 'The server lost the session (e.g. after a failover): run the step again.'
  }
  return undefined
}
