export const id = 816;
export const ids = [816];
export const modules = {

/***/ 6816:
/***/ ((__unused_webpack_module, __webpack_exports__, __webpack_require__) => {

// ESM COMPAT FLAG
__webpack_require__.r(__webpack_exports__);

// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  EngineSession: () => (/* binding */ EngineSession)
});

// EXTERNAL MODULE: ./node_modules/enigma.js/enigma.min.js
var enigma_min = __webpack_require__(8591);
var enigma_min_default = /*#__PURE__*/__webpack_require__.n(enigma_min);
// EXTERNAL MODULE: ./node_modules/enigma.js/schemas/12.170.2.json
var _12_170_2 = __webpack_require__(2614);
// EXTERNAL MODULE: ./src/qrs/shape.ts
var qrs_shape = __webpack_require__(5797);
// EXTERNAL MODULE: ./src/util/text.ts
var util_text = __webpack_require__(9997);
// EXTERNAL MODULE: ./src/util/errors.ts
var errors = __webpack_require__(17);
;// CONCATENATED MODULE: ./src/engine/answers.ts

/**
 * What each engine answer the action reads must look like, checked where it enters (session.ts), as the
 * QRS's answers are (qrs/answers.ts): a name that is an object or a row count that is a string is "the
 * engine answered something unexpected", never a TypeError further on or text in the summary. The engine
 * leaves out false flags, zeros and empty strings, so those fields are optional.
 */
/** A table's row count: a whole number, not below 0. */
const rowCount = (value, at) => {
    const rows = (0,qrs_shape/* whole */.WQ)(value, at);
    if (rows < 0)
        throw new qrs_shape/* WrongShape */.zq(`${at} is below 0, not a row count`);
    return rows;
};
const reloadResult = (0,qrs_shape/* record */.g1)({
    qSuccess: (0,qrs_shape/* optional */.lq)(qrs_shape/* flag */.Jt),
    qScriptLogFile: (0,qrs_shape/* optional */.lq)(qrs_shape/* text */.Qq),
    qEndedWithMemoryConstraint: (0,qrs_shape/* optional */.lq)(qrs_shape/* flag */.Jt)
});
const progressData = (0,qrs_shape/* record */.g1)({
    qStarted: (0,qrs_shape/* optional */.lq)(qrs_shape/* flag */.Jt),
    qFinished: (0,qrs_shape/* optional */.lq)(qrs_shape/* flag */.Jt),
    qPersistentProgress: (0,qrs_shape/* optional */.lq)(qrs_shape/* text */.Qq),
    qTransientProgress: (0,qrs_shape/* optional */.lq)(qrs_shape/* text */.Qq),
    qErrorData: (0,qrs_shape/* optional */.lq)((0,qrs_shape/* list */.p_)((0,qrs_shape/* record */.g1)({ qErrorString: (0,qrs_shape/* optional */.lq)(qrs_shape/* text */.Qq), qLine: (0,qrs_shape/* optional */.lq)(qrs_shape/* text */.Qq) })))
});
/** GetTablesAndKeys's answer (its two out parameters): of `qtr` each table's name and rows. */
const tablesAndKeys = (0,qrs_shape/* record */.g1)({
    qtr: (0,qrs_shape/* optional */.lq)((0,qrs_shape/* list */.p_)((0,qrs_shape/* record */.g1)({ qName: qrs_shape/* text */.Qq, qNoOfRows: (0,qrs_shape/* optional */.lq)(rowCount) })))
});
/** GetAppLayout's qLayout: whether the user may save the app. */
const appLayout = (0,qrs_shape/* record */.g1)({ qReadOnly: (0,qrs_shape/* optional */.lq)(qrs_shape/* flag */.Jt) });
/**
 * OpenDoc's answer as enigma.js hands it on: the app's object when the engine answered a Doc handle
 * (`qReturn: {qType: "Doc", qHandle}`), else whatever `qReturn` held.
 */
function openedDoc(value, at) {
    const doc = value;
    if (typeof doc === 'object' && doc !== null && doc.type === 'Doc' && Number.isSafeInteger(doc.handle))
        return value;
    throw new qrs_shape/* WrongShape */.zq(`${at} is not a Doc handle`);
}

// EXTERNAL MODULE: ./src/engine/errors.ts
var engine_errors = __webpack_require__(7679);
;// CONCATENATED MODULE: ./src/engine/rpc-socket.ts

/**
 * The engine's WebSocket as enigma.js sees it (the `on*` handlers, `send`, `close`, `readyState`), with a
 * check at the door. enigma.js parses each message inside the socket's event handler, where nothing
 * catches what it throws: a message that is not JSON, `null`, an id it does not expect or a `change` that
 * is no list would end the process. Such a message never reaches it: the socket is closed instead (every
 * call waiting on it fails), and `unexpected` says what came.
 */
class RpcSocket {
    socket;
    onopen = null;
    onclose = null;
    onerror = null;
    onmessage = null;
    /** What the engine sent that is no JSON-RPC message, once it did. */
    unexpected;
    constructor(socket) {
        this.socket = socket;
        socket.on('open', () => this.onopen?.({ type: 'open' }));
        socket.on('close', (code, reason) => this.onclose?.({ type: 'close', code, reason: reason.toString() }));
        socket.on('error', (error) => this.onerror?.({ type: 'error', error, message: error.message }));
        socket.on('message', (data, isBinary) => this.receive(data, isBinary));
    }
    get readyState() {
        return this.socket.readyState;
    }
    get OPEN() {
        return this.socket.OPEN;
    }
    send(data) {
        this.socket.send(data);
    }
    close(code, reason) {
        this.socket.close(code, reason);
    }
    receive(data, isBinary) {
        if (this.unexpected)
            return;
        const text = isBinary ? undefined : data.toString('utf8');
        const problem = text === undefined ? 'a binary message' : notRpc(text);
        if (!problem) {
            this.onmessage?.({ type: 'message', data: text });
            return;
        }
        this.unexpected = problem;
        this.socket.terminate();
    }
}
/** Why `text` is no JSON-RPC message enigma.js can take, or undefined when it is one. */
function notRpc(text) {
    let message;
    try {
        message = JSON.parse(text);
    }
    catch {
        return `a message that is not JSON (${(0,util_text/* excerpt */.Kb)(text, 100)})`;
    }
    if (typeof message !== 'object' || message === null || Array.isArray(message))
        return 'a message that is no JSON-RPC object';
    const { id, change, close } = message;
    // enigma.js numbers its requests; any other id would be looked up among its own fields.
    if (id !== undefined && id !== null && !Number.isSafeInteger(id))
        return 'a message whose id is not a number';
    // Handles the engine says changed or closed: enigma.js looks each up by its text.
    if (!handles(change) || !handles(close))
        return 'a message whose change or close is not a list of handles';
    return undefined;
}
const handles = (value) => !value || (Array.isArray(value) && value.every(handle => Number.isSafeInteger(handle)));

;// CONCATENATED MODULE: ./src/engine/session.ts

// The one schema bundled: the oldest 12.x that has every method and out parameter the engine mode
// uses, the same as in the newest (__tests__/unit/engine-schema.test.ts); a third of the newest's size.







const NO_SIZE = { qcx: 0, qcy: 0 };
/** Persistent lines of one answer beyond this many are dropped (a line is already cut to MAX_LINE_CHARS). */
const MAX_LINES_PER_ANSWER = 10_000;
/** enigma.js's code for a call whose socket closed before the answer (NOT_CONNECTED): the session is lost. */
const LOST = -1;
/** What a call whose answer the action does not read takes. */
const anything = value => value;
/**
 * One engine session on one app (a WebSocket, enigma.js): its tables, a reload with its progress, a
 * cancel, a save. Every call but DoReloadEx and those given their own limit is bounded by the
 * request timeout: an engine that does not answer closes the session (the only way to drop a call).
 * Every answer read is checked at the door (answers.ts), every message before enigma.js sees it (rpc-socket.ts).
 */
class EngineSession {
    session;
    rpc;
    global;
    doc;
    app;
    limits;
    log;
    closing;
    constructor(session, rpc, global, doc, 
    /** How messages name the app: "'Sales'". */
    app, limits, log) {
        this.session = session;
        this.rpc = rpc;
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
        let rpc;
        // Delta answers (enigma.js's default, what Qlik's clients use) are applied by enigma.js itself.
        const session = enigma_min_default().create({
            schema: _12_170_2,
            url: options.url,
            createSocket: (url) => (rpc = new RpcSocket(options.createSocket(url)))
        });
        session.on('notification:OnConnected', (params) => options.onConnected(session_text(params?.qSessionState)));
        const global = (await session.open().catch((error) => {
            throw rpc?.unexpected ? failure('the session', options.app, error, rpc) : error;
        }));
        options.opened();
        const close = () => closeSession(session, rpc.socket);
        try {
            const send = () => global.openDoc(options.appId, '', '', '', options.noData);
            const doc = await bounded('OpenDoc', options.app, send, (openedDoc), 'qReturn', { timeoutMs: options.openTimeoutMs, close, log: options.log, rpc: rpc });
            return new EngineSession(session, rpc, global, doc, options.app, options.limits, options.log);
        }
        catch (error) {
            await close();
            throw error;
        }
    }
    /** Every table of the data model with its row count. */
    async tables() {
        const answer = await this.call('GetTablesAndKeys', () => this.doc.getTablesAndKeys(NO_SIZE, NO_SIZE, 0, true, false), tablesAndKeys, '');
        return (answer.qtr ?? []).map(table => ({ name: table.qName.slice(0, util_text/* MAX_LINE_CHARS */.yL), rows: table.qNoOfRows ?? 0 }));
    }
    /** Whether the user may save the app (qReadOnly: no update right), for a dry run. */
    async readOnly() {
        return (await this.call('GetAppLayout', () => this.doc.getAppLayout(), appLayout, 'qLayout')).qReadOnly === true;
    }
    /** Starts DoReloadEx; its answer comes when the reload has ended (never bounded: a reload takes what it takes). */
    reload(partial) {
        const pending = this.doc.doReloadEx({ qMode: 0, qPartial: partial, qDebug: false });
        const running = {
            requestId: pending.requestId ?? 0,
            done: pending
                .then(answer => {
                // The reload has ended either way; an answer that cannot be read leaves its outcome unknown, and it is not saved.
                const result = checked('DoReloadEx', this.app, reloadResult, answer, 'qResult');
                running.answeredAt = Date.now();
                running.answer = {
                    success: result.qSuccess === true,
                    scriptLogFile: result.qScriptLogFile ?? '',
                    endedWithMemoryConstraint: result.qEndedWithMemoryConstraint === true
                };
                return running.answer;
            })
                .catch((error) => {
                throw (running.failure = failure('DoReloadEx', this.app, error, this.rpc));
            })
        };
        // Its outcome is read through `done`; a rejection nobody awaits yet must not end the process.
        running.done.catch(() => { });
        return running;
    }
    /** GetProgress of the reload `requestId`: the lines since the last call, the transient text, the errors. */
    async progress(requestId) {
        const data = await this.call('GetProgress', () => this.global.getProgress(requestId), progressData, 'qProgressData');
        const lines = (data.qPersistentProgress ?? '')
            .split(/\r?\n/)
            .filter(line => line.trim())
            .slice(0, MAX_LINES_PER_ANSWER)
            .map(cut);
        const errors = (data.qErrorData ?? [])
            .slice(0, 100)
            .map(e => ({ message: cut(e.qErrorString ?? ''), statement: cut(e.qLine ?? '') }))
            .filter(e => e.message || e.statement);
        return { started: data.qStarted === true, finished: data.qFinished === true, lines, transient: cut((data.qTransientProgress ?? '').trim()), errors };
    }
    /** CancelReload: the reload in progress ends, and DoReloadEx answers qSuccess false. */
    async cancel() {
        await this.call('CancelReload', () => this.global.cancelReload(), anything, '');
    }
    /** DoSave, bounded by `timeoutMs`: saving a large app takes a while. */
    async save(timeoutMs) {
        await this.call('DoSave', () => this.doc.doSave(), anything, '', timeoutMs);
    }
    get open() {
        return !this.closing && this.rpc.readyState === this.rpc.OPEN;
    }
    /** Closes the WebSocket (the engine ends the session); waits at most a moment for the close handshake. */
    close() {
        this.closing ??= closeSession(this.session, this.rpc.socket);
        return this.closing;
    }
    /** One call, its answer checked against `shape` (`at` names it in the message). */
    call(method, send, shape, at, timeoutMs = this.limits.requestTimeoutMs) {
        return bounded(method, this.app, send, shape, at, { timeoutMs, close: () => this.close(), log: this.log, rpc: this.rpc });
    }
}
/** enigma.js's close, then the socket's end whatever the close handshake does. */
async function closeSession(session, socket) {
    await Promise.race([session.close().catch(() => { }), new Promise(resolve => setTimeout(resolve, 2_000).unref())]);
    if (socket.readyState !== socket.CLOSED)
        socket.terminate();
}
/**
 * One call, bounded: an engine that does not answer in `timeoutMs` gets its session closed (the only way
 * to drop a call). Its answer is checked against `shape`.
 */
async function bounded(method, app, send, shape, at, bounds) {
    const { timeoutMs, close, log, rpc } = bounds;
    const started = performance.now();
    let timer;
    const late = new Promise((_, reject) => {
        timer = setTimeout(() => {
            reject(new errors/* EngineError */.NJ(`The engine did not answer ${method} of app ${app} within ${Math.round(timeoutMs / 1000)} s: the session was closed.`));
            void close();
        }, timeoutMs);
    });
    try {
        const answer = await Promise.race([send(), late]);
        log.debug(`engine ${method} → answered in ${Math.round(performance.now() - started)} ms`);
        return checked(method, app, shape, answer, at);
    }
    catch (error) {
        throw failure(method, app, error, rpc);
    }
    finally {
        clearTimeout(timer);
    }
}
/** `answer` as `shape` reads it; an answer of another shape is an UnexpectedEngineAnswer. */
function checked(method, app, shape, answer, at) {
    try {
        return shape(answer, at);
    }
    catch (error) {
        if (error instanceof qrs_shape/* WrongShape */.zq)
            throw new errors/* UnexpectedEngineAnswer */.ki(method, app, error.message);
        throw error;
    }
}
/**
 * Why a call failed: the engine sent a message that is no JSON-RPC (the socket was closed for it, so the
 * session is lost), else the engine's error in words.
 */
function failure(method, app, error, rpc) {
    if (rpc?.unexpected && !(error instanceof errors/* EngineError */.NJ)) {
        return new errors/* EngineError */.NJ(`The engine sent something unexpected on the session of app ${app} while ${method} waited: ${rpc.unexpected}; the session was closed.`, LOST);
    }
    return (0,engine_errors/* engineError */.v)(method, app, error);
}
function cut(line) {
    return line.length > util_text/* MAX_LINE_CHARS */.yL ? `${line.slice(0, util_text/* MAX_LINE_CHARS */.yL)}…` : line;
}
/** Server JSON read as text: a string as it is, anything else (an object where text was expected) as nothing. */
function session_text(value) {
    return typeof value === 'string' ? value : '';
}


/***/ })

};
