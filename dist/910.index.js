export const id = 910;
export const ids = [910];
export const modules = {

/***/ 910:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

__webpack_require__.r(__webpack_exports__);
/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   EngineSession: () => (/* binding */ EngineSession)
/* harmony export */ });
/* harmony import */ var enigma_js_enigma_min_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(8591);
/* harmony import */ var enigma_js_enigma_min_js__WEBPACK_IMPORTED_MODULE_0___default = /*#__PURE__*/__webpack_require__.n(enigma_js_enigma_min_js__WEBPACK_IMPORTED_MODULE_0__);
/* harmony import */ var enigma_js_schemas_12_170_2_json__WEBPACK_IMPORTED_MODULE_1__ = __webpack_require__(2614);
/* harmony import */ var _util_text_js__WEBPACK_IMPORTED_MODULE_4__ = __webpack_require__(9997);
/* harmony import */ var _util_errors_js__WEBPACK_IMPORTED_MODULE_2__ = __webpack_require__(17);
/* harmony import */ var _errors_js__WEBPACK_IMPORTED_MODULE_3__ = __webpack_require__(7679);

// The one schema bundled: the oldest 12.x that has every method and out parameter the engine mode
// uses, the same as in the newest (__tests__/unit/engine-schema.test.ts); a third of the newest's size.




const NO_SIZE = { qcx: 0, qcy: 0 };
/** Persistent lines of one answer beyond this many are dropped (a line is already cut to MAX_LINE_CHARS). */
const MAX_LINES_PER_ANSWER = 10_000;
/**
 * One engine session on one app (a WebSocket, enigma.js): its tables, a reload with its progress, a
 * cancel, a save. Every call but DoReloadEx and those given their own limit is bounded by the
 * request timeout: an engine that does not answer closes the session (the only way to drop a call).
 */
class EngineSession {
    session;
    socket;
    global;
    doc;
    app;
    limits;
    log;
    closing;
    constructor(session, socket, global, doc, 
    /** How messages name the app: "'Sales'". */
    app, limits, log) {
        this.session = session;
        this.socket = socket;
        this.global = global;
        this.doc = doc;
        this.app = app;
        this.limits = limits;
        this.log = log;
    }
    /**
     * Opens `appId` in a new enigma.js session over `createSocket`'s WebSocket: the Global object, then
     * OpenDoc (with or without data), bounded by `openTimeoutMs` (a large app takes a while to load).
     */
    static async open(options) {
        let socket;
        // Delta answers (enigma.js's default, what Qlik's clients use) are applied by enigma.js itself.
        const session = enigma_js_enigma_min_js__WEBPACK_IMPORTED_MODULE_0___default().create({
            schema: enigma_js_schemas_12_170_2_json__WEBPACK_IMPORTED_MODULE_1__,
            url: options.url,
            createSocket: (url) => (socket = options.createSocket(url))
        });
        session.on('notification:OnConnected', (params) => options.onConnected(text(params?.qSessionState)));
        const global = (await session.open());
        options.opened();
        const close = () => closeSession(session, socket);
        try {
            const doc = await bounded('OpenDoc', options.app, () => global.openDoc(options.appId, '', '', '', options.noData), options.openTimeoutMs, close, options.log);
            return new EngineSession(session, socket, global, doc, options.app, options.limits, options.log);
        }
        catch (error) {
            await close();
            throw error;
        }
    }
    /** Every table of the data model with its row count. */
    async tables() {
        const answer = await this.call('GetTablesAndKeys', () => this.doc.getTablesAndKeys(NO_SIZE, NO_SIZE, 0, true, false));
        return (answer.qtr ?? []).map(table => ({ name: text(table.qName).slice(0, _util_text_js__WEBPACK_IMPORTED_MODULE_4__/* .MAX_LINE_CHARS */ .yL), rows: Number(table.qNoOfRows) || 0 }));
    }
    /** Whether the user may save the app (qReadOnly: no update right), for a dry run. */
    async readOnly() {
        return (await this.call('GetAppLayout', () => this.doc.getAppLayout())).qReadOnly === true;
    }
    /** Starts DoReloadEx; its answer comes when the reload has ended (never bounded: a reload takes what it takes). */
    reload(partial) {
        const pending = this.doc.doReloadEx({ qMode: 0, qPartial: partial, qDebug: false });
        const running = {
            requestId: pending.requestId ?? 0,
            done: pending.then(result => {
                running.answeredAt = Date.now();
                running.answer = {
                    success: result?.qSuccess === true,
                    scriptLogFile: text(result?.qScriptLogFile),
                    endedWithMemoryConstraint: result?.qEndedWithMemoryConstraint === true
                };
                return running.answer;
            }, (error) => {
                throw (running.failure = (0,_errors_js__WEBPACK_IMPORTED_MODULE_3__/* .engineError */ .v)('DoReloadEx', this.app, error));
            })
        };
        // Its outcome is read through `done`; a rejection nobody awaits yet must not end the process.
        running.done.catch(() => { });
        return running;
    }
    /** GetProgress of the reload `requestId`: the lines since the last call, the transient text, the errors. */
    async progress(requestId) {
        const data = await this.call('GetProgress', () => this.global.getProgress(requestId));
        const lines = text(data?.qPersistentProgress)
            .split(/\r?\n/)
            .filter(line => line.trim())
            .slice(0, MAX_LINES_PER_ANSWER)
            .map(cut);
        const errors = (Array.isArray(data?.qErrorData) ? data.qErrorData : [])
            .slice(0, 100)
            .map(e => ({ message: cut(text(e?.qErrorString)), statement: cut(text(e?.qLine)) }))
            .filter(e => e.message || e.statement);
        return { started: data?.qStarted === true, finished: data?.qFinished === true, lines, transient: cut(text(data?.qTransientProgress).trim()), errors };
    }
    /** CancelReload: the reload in progress ends, and DoReloadEx answers qSuccess false. */
    async cancel() {
        await this.call('CancelReload', () => this.global.cancelReload());
    }
    /** DoSave, bounded by `timeoutMs`: saving a large app takes a while. */
    async save(timeoutMs) {
        await this.call('DoSave', () => this.doc.doSave(), timeoutMs);
    }
    get open() {
        return !this.closing && this.socket.readyState === this.socket.OPEN;
    }
    /** Closes the WebSocket (the engine ends the session); waits at most a moment for the close handshake. */
    close() {
        this.closing ??= closeSession(this.session, this.socket);
        return this.closing;
    }
    call(method, send, timeoutMs = this.limits.requestTimeoutMs) {
        return bounded(method, this.app, send, timeoutMs, () => this.close(), this.log);
    }
}
/** enigma.js's close, then the socket's end whatever the close handshake does. */
async function closeSession(session, socket) {
    await Promise.race([session.close().catch(() => { }), new Promise(resolve => setTimeout(resolve, 2_000).unref())]);
    if (socket.readyState !== socket.CLOSED)
        socket.terminate();
}
/** One call, bounded: an engine that does not answer in `timeoutMs` gets its session closed (the only way to drop a call). */
async function bounded(method, app, send, timeoutMs, close, log) {
    const started = performance.now();
    let timer;
    const late = new Promise((_, reject) => {
        timer = setTimeout(() => {
            reject(new _util_errors_js__WEBPACK_IMPORTED_MODULE_2__/* .EngineError */ .NJ(`The engine did not answer ${method} of app ${app} within ${Math.round(timeoutMs / 1000)} s: the session was closed.`));
            void close();
        }, timeoutMs);
    });
    try {
        const answer = await Promise.race([send(), late]);
        log.debug(`engine ${method} → answered in ${Math.round(performance.now() - started)} ms`);
        return answer;
    }
    catch (error) {
        throw (0,_errors_js__WEBPACK_IMPORTED_MODULE_3__/* .engineError */ .v)(method, app, error);
    }
    finally {
        clearTimeout(timer);
    }
}
function cut(line) {
    return line.length > _util_text_js__WEBPACK_IMPORTED_MODULE_4__/* .MAX_LINE_CHARS */ .yL ? `${line.slice(0, _util_text_js__WEBPACK_IMPORTED_MODULE_4__/* .MAX_LINE_CHARS */ .yL)}…` : line;
}
/** Server JSON read as text: a string as it is, anything else (an object where text was expected) as nothing. */
function text(value) {
    return typeof value === 'string' ? value : '';
}


/***/ })

};
