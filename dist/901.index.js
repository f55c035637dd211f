export const id = 901;
export const ids = [901];
export const modules = {

/***/ 5901:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   openSocket: () => (/* binding */ openSocket)
/* harmony export */ });
/* harmony import */ var ws__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(2977);
/* harmony import */ var _qrs_agent_js__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(755);


/** A WebSocket message larger than this closes the session: the answers the engine mode reads are small. */
const MAX_MESSAGE_BYTES = 32 * 1024 * 1024;
/** Of a refused upgrade's body only this much is read: it is shown cut to a line. */
const MAX_REFUSAL_BYTES = 16 * 1024;
/**
 * A WebSocket to `url` on our own agent: the site's TLS settings, the client certificate, and through a
 * forward proxy (HTTPS_PROXY, NO_PROXY) the same tunnel the QRS calls take. The upgrade's answer, or the
 * answer that refused it (status, headers, the body's start), lands in `upgrade`.
 */
function openSocket(url, options, upgrade) {
    // The agent picks the proxy by the URL's scheme: the engine is reached over TLS like https.
    const base = new URL(url.href.replace(/^wss:/, 'https:'));
    const agent = (0,_qrs_agent_js__WEBPACK_IMPORTED_MODULE_1__/* .createAgent */ .S)(base, options.serverTls, options.clientTls, 1);
    const socket = new ws__WEBPACK_IMPORTED_MODULE_0__/* ["default"] */ .Ay(url, {
        agent,
        headers: options.headers,
        handshakeTimeout: options.timeoutMs,
        maxPayload: MAX_MESSAGE_BYTES,
        followRedirects: false,
        perMessageDeflate: false
    });
    socket.once('upgrade', (response) => (upgrade.answer = raw(response, '')));
    socket.once('unexpected-response', (_request, response) => {
        let body = '';
        const refused = () => {
            upgrade.refusal = raw(response, body);
            socket.terminate();
        };
        response.setEncoding('utf8');
        response.on('data', (chunk) => {
            body += chunk;
            if (body.length > MAX_REFUSAL_BYTES)
                response.destroy();
        });
        response.once('end', refused);
        response.once('close', () => upgrade.refusal ?? refused());
    });
    return socket;
}
function raw(response, body) {
    return { status: response.statusCode ?? 0, headers: response.headers, body: body.slice(0, MAX_REFUSAL_BYTES), socket: response.socket };
}


/***/ })

};
