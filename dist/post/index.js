import { createRequire as __WEBPACK_EXTERNAL_createRequire } from "module";
/******/ var __webpack_modules__ = ({

/***/ 770:
/***/ ((module, __unused_webpack_exports, __nccwpck_require__) => {

module.exports = __nccwpck_require__(218);


/***/ }),

/***/ 218:
/***/ ((__unused_webpack_module, exports, __nccwpck_require__) => {

var __webpack_unused_export__;


var net = __nccwpck_require__(9278);
var tls = __nccwpck_require__(4756);
var http = __nccwpck_require__(8611);
var https = __nccwpck_require__(5692);
var events = __nccwpck_require__(4434);
var assert = __nccwpck_require__(2613);
var util = __nccwpck_require__(9023);


exports.httpOverHttp = httpOverHttp;
exports.httpsOverHttp = httpsOverHttp;
exports.httpOverHttps = httpOverHttps;
exports.httpsOverHttps = httpsOverHttps;


function httpOverHttp(options) {
  var agent = new TunnelingAgent(options);
  agent.request = http.request;
  return agent;
}

function httpsOverHttp(options) {
  var agent = new TunnelingAgent(options);
  agent.request = http.request;
  agent.createSocket = createSecureSocket;
  agent.defaultPort = 443;
  return agent;
}

function httpOverHttps(options) {
  var agent = new TunnelingAgent(options);
  agent.request = https.request;
  return agent;
}

function httpsOverHttps(options) {
  var agent = new TunnelingAgent(options);
  agent.request = https.request;
  agent.createSocket = createSecureSocket;
  agent.defaultPort = 443;
  return agent;
}


function TunnelingAgent(options) {
  var self = this;
  self.options = options || {};
  self.proxyOptions = self.options.proxy || {};
  self.maxSockets = self.options.maxSockets || http.Agent.defaultMaxSockets;
  self.requests = [];
  self.sockets = [];

  self.on('free', function onFree(socket, host, port, localAddress) {
    var options = toOptions(host, port, localAddress);
    for (var i = 0, len = self.requests.length; i < len; ++i) {
      var pending = self.requests[i];
      if (pending.host === options.host && pending.port === options.port) {
        // Detect the request to connect same origin server,
        // reuse the connection.
        self.requests.splice(i, 1);
        pending.request.onSocket(socket);
        return;
      }
    }
    socket.destroy();
    self.removeSocket(socket);
  });
}
util.inherits(TunnelingAgent, events.EventEmitter);

TunnelingAgent.prototype.addRequest = function addRequest(req, host, port, localAddress) {
  var self = this;
  var options = mergeOptions({request: req}, self.options, toOptions(host, port, localAddress));

  if (self.sockets.length >= this.maxSockets) {
    // We are over limit so we'll add it to the queue.
    self.requests.push(options);
    return;
  }

  // If we are under maxSockets create a new one.
  self.createSocket(options, function(socket) {
    socket.on('free', onFree);
    socket.on('close', onCloseOrRemove);
    socket.on('agentRemove', onCloseOrRemove);
    req.onSocket(socket);

    function onFree() {
      self.emit('free', socket, options);
    }

    function onCloseOrRemove(err) {
      self.removeSocket(socket);
      socket.removeListener('free', onFree);
      socket.removeListener('close', onCloseOrRemove);
      socket.removeListener('agentRemove', onCloseOrRemove);
    }
  });
};

TunnelingAgent.prototype.createSocket = function createSocket(options, cb) {
  var self = this;
  var placeholder = {};
  self.sockets.push(placeholder);

  var connectOptions = mergeOptions({}, self.proxyOptions, {
    method: 'CONNECT',
    path: options.host + ':' + options.port,
    agent: false,
    headers: {
      host: options.host + ':' + options.port
    }
  });
  if (options.localAddress) {
    connectOptions.localAddress = options.localAddress;
  }
  if (connectOptions.proxyAuth) {
    connectOptions.headers = connectOptions.headers || {};
    connectOptions.headers['Proxy-Authorization'] = 'Basic ' +
        new Buffer(connectOptions.proxyAuth).toString('base64');
  }

  debug('making CONNECT request');
  var connectReq = self.request(connectOptions);
  connectReq.useChunkedEncodingByDefault = false; // for v0.6
  connectReq.once('response', onResponse); // for v0.6
  connectReq.once('upgrade', onUpgrade);   // for v0.6
  connectReq.once('connect', onConnect);   // for v0.7 or later
  connectReq.once('error', onError);
  connectReq.end();

  function onResponse(res) {
    // Very hacky. This is necessary to avoid http-parser leaks.
    res.upgrade = true;
  }

  function onUpgrade(res, socket, head) {
    // Hacky.
    process.nextTick(function() {
      onConnect(res, socket, head);
    });
  }

  function onConnect(res, socket, head) {
    connectReq.removeAllListeners();
    socket.removeAllListeners();

    if (res.statusCode !== 200) {
      debug('tunneling socket could not be established, statusCode=%d',
        res.statusCode);
      socket.destroy();
      var error = new Error('tunneling socket could not be established, ' +
        'statusCode=' + res.statusCode);
      error.code = 'ECONNRESET';
      options.request.emit('error', error);
      self.removeSocket(placeholder);
      return;
    }
    if (head.length > 0) {
      debug('got illegal response body from proxy');
      socket.destroy();
      var error = new Error('got illegal response body from proxy');
      error.code = 'ECONNRESET';
      options.request.emit('error', error);
      self.removeSocket(placeholder);
      return;
    }
    debug('tunneling connection has established');
    self.sockets[self.sockets.indexOf(placeholder)] = socket;
    return cb(socket);
  }

  function onError(cause) {
    connectReq.removeAllListeners();

    debug('tunneling socket could not be established, cause=%s\n',
          cause.message, cause.stack);
    var error = new Error('tunneling socket could not be established, ' +
                          'cause=' + cause.message);
    error.code = 'ECONNRESET';
    options.request.emit('error', error);
    self.removeSocket(placeholder);
  }
};

TunnelingAgent.prototype.removeSocket = function removeSocket(socket) {
  var pos = this.sockets.indexOf(socket)
  if (pos === -1) {
    return;
  }
  this.sockets.splice(pos, 1);

  var pending = this.requests.shift();
  if (pending) {
    // If we have pending requests and a socket gets closed a new one
    // needs to be created to take over in the pool for the one that closed.
    this.createSocket(pending, function(socket) {
      pending.request.onSocket(socket);
    });
  }
};

function createSecureSocket(options, cb) {
  var self = this;
  TunnelingAgent.prototype.createSocket.call(self, options, function(socket) {
    var hostHeader = options.request.getHeader('host');
    var tlsOptions = mergeOptions({}, self.options, {
      socket: socket,
      servername: hostHeader ? hostHeader.replace(/:.*$/, '') : options.host
    });

    // 0 is dummy port for v0.6
    var secureSocket = tls.connect(0, tlsOptions);
    self.sockets[self.sockets.indexOf(socket)] = secureSocket;
    cb(secureSocket);
  });
}


function toOptions(host, port, localAddress) {
  if (typeof host === 'string') { // since v0.10
    return {
      host: host,
      port: port,
      localAddress: localAddress
    };
  }
  return host; // for v0.11 or later
}

function mergeOptions(target) {
  for (var i = 1, len = arguments.length; i < len; ++i) {
    var overrides = arguments[i];
    if (typeof overrides === 'object') {
      var keys = Object.keys(overrides);
      for (var j = 0, keyLen = keys.length; j < keyLen; ++j) {
        var k = keys[j];
        if (overrides[k] !== undefined) {
          target[k] = overrides[k];
        }
      }
    }
  }
  return target;
}


var debug;
if (process.env.NODE_DEBUG && /\btunnel\b/.test(process.env.NODE_DEBUG)) {
  debug = function() {
    var args = Array.prototype.slice.call(arguments);
    if (typeof args[0] === 'string') {
      args[0] = 'TUNNEL: ' + args[0];
    } else {
      args.unshift('TUNNEL:');
    }
    console.error.apply(console, args);
  }
} else {
  debug = function() {};
}
__webpack_unused_export__ = debug; // for test


/***/ }),

/***/ 7679:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   v: () => (/* binding */ engineError)
/* harmony export */ });
/* unused harmony export engineErrorText */
/* harmony import */ var _util_errors_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(17);
/* harmony import */ var _util_text_js__WEBPACK_IMPORTED_MODULE_1__ = __nccwpck_require__(9997);


/** The engine's LocalizedErrorCode values a reload meets, in words (enigma.js's schema, enum LocalizedErrorCode). */
const CODES = {
    [-1]: 'the connection closed',
    2: 'not found',
    5: 'access denied',
    11: 'the request was aborted',
    15: 'aborted',
    1002: 'app already open',
    1003: 'app not found',
    1009: 'app already open in a different mode'
};
/** What an answer's error says, bounded (the engine's text is untrusted and shown on one line). */
function engineErrorText(error) {
    const e = error;
    const code = typeof e?.code === 'number' ? e.code : undefined;
    const message = typeof e?.message === 'string' ? e.message : String(error);
    const parameter = typeof e?.parameter === 'string' && e.parameter !== message ? e.parameter : '';
    const words = code === undefined ? '' : (CODES[code] ?? 'error');
    const said = (0,_util_text_js__WEBPACK_IMPORTED_MODULE_1__/* .excerpt */ .Kb)([message, parameter].filter(Boolean).join(': '), 200);
    return { code, text: `${said}${code === undefined ? '' : ` (${words}, code ${code})`}` };
}
/** An engine error for `method` on app `app`, with what to check when the code says. */
function engineError(method, app, error) {
    if (error instanceof _util_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .EngineError */ .NJ)
        return error;
    const { code, text } = engineErrorText(error);
    return new _util_errors_js__WEBPACK_IMPORTED_MODULE_0__/* .EngineError */ .NJ(`The engine answered ${method} of app ${app} with ${text}.${hint(method, code)}`, code);
}
function hint(method, code) {
    if (code === 5 && method === 'OpenDoc')
        return ' The user needs read access to the app (QMC > Security rules).';
    if (code === 5 && method === 'DoReloadEx')
        return ' The user may open the app but not reload it: engine reloads need the reload right (update on the app, QMC > Security rules).';
    if (code === 5 && method === 'DoSave')
        return ' The user may reload the app but not save it (update right on the app): the reload was not saved.';
    if (code === 1009)
        return ' Another session has the app open with data while this one asks without (or the reverse): a dry run beside a running reload, or the other way round. Try again when that session has closed.';
    if (code === 2 || code === 1003)
        return ' Check the app id (QMC > Apps) and that engine-url reaches the engine that serves it.';
    return '';
}


/***/ }),

/***/ 6908:
/***/ ((module, __unused_webpack___webpack_exports__, __nccwpck_require__) => {

__nccwpck_require__.a(module, async (__webpack_handle_async_dependencies__, __webpack_async_result__) => { try {
/* harmony import */ var _post_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(9509);

// The post step's entry (action.yml runs.post: dist/post/index.js), a bundle of its own: it can only
// stop executions main saved in the step state, never start anything. With no state it sends nothing.
await (0,_post_js__WEBPACK_IMPORTED_MODULE_0__/* .post */ .b)();

__webpack_async_result__();
} catch(e) { __webpack_async_result__(e); } }, 1);

/***/ }),

/***/ 9509:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  b: () => (/* binding */ post)
});

;// CONCATENATED MODULE: external "node:fs"
const external_node_fs_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:fs");
;// CONCATENATED MODULE: external "node:crypto"
const external_node_crypto_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:crypto");
// EXTERNAL MODULE: ./src/util/errors.ts
var errors = __nccwpck_require__(17);
;// CONCATENATED MODULE: ./src/inputs/pem.ts



/**
 * Reads an input that holds PEM text or the path of a PEM file (QMC exports client.pem,
 * client_key.pem and root.pem). Secrets pasted into repository settings sometimes keep
 * literal `\n` (or `\r\n`) sequences instead of line breaks: those are turned back into line breaks.
 */
function readPem(input, value) {
    const text = value.includes('-----BEGIN') ? value : readPemFile(input, value);
    const pem = !text.includes('\n') && text.includes('\\n') ? text.replace(/(?:\\r)?\\n/g, '\n') : text;
    if (!/-----BEGIN [A-Z0-9 ]+-----[\s\S]+?-----END [A-Z0-9 ]+-----/.test(pem)) {
        throw new errors/* InputError */.dz(input, 'is not PEM: expected a -----BEGIN ...----- block or the path of a PEM file.');
    }
    return pem.replace(/\r\n/g, '\n').trim() + '\n';
}
/** A private key's body lines, to mask one by one: the runner masks line by line. */
function secretLines(pem) {
    return pem.split('\n').filter(line => line.length >= 8 && !line.startsWith('-----'));
}
function readPemFile(input, path) {
    // Windows Explorer's "Copy as path" puts the path in double quotes.
    const file = path.trim().replace(/^"(.+)"$/, '$1');
    if (!(0,external_node_fs_namespaceObject.existsSync)(file) || !(0,external_node_fs_namespaceObject.statSync)(file).isFile()) {
        throw new errors/* InputError */.dz(input, 'is neither PEM text nor the path of a readable file.');
    }
    const text = decodeText((0,external_node_fs_namespaceObject.readFileSync)(file));
    if (!text.includes('-----BEGIN'))
        throw new errors/* InputError */.dz(input, `the file ${file} holds no PEM block.`);
    return text;
}
/**
 * UTF-8, with or without a byte order mark, or UTF-16 with one: Windows PowerShell 5.1 writes
 * UTF-16LE for `>` and Out-File, so `$env:ROOT_PEM > root.pem` makes such a file.
 */
function decodeText(bytes) {
    if (bytes[0] === 0xff && bytes[1] === 0xfe)
        return bytes.subarray(2).toString('utf16le');
    if (bytes[0] === 0xfe && bytes[1] === 0xff)
        return Buffer.from(bytes.subarray(2, bytes.length - (bytes.length % 2)))
            .swap16()
            .toString('utf16le');
    return bytes.toString('utf8').replace(/^\uFEFF/, '');
}
/** Parses every certificate of a PEM bundle; names the input when one does not parse. */
function parseCertificates(input, pem) {
    const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
    if (!blocks)
        throw new errors/* InputError */.dz(input, 'holds no -----BEGIN CERTIFICATE----- block.');
    return blocks.map(block => {
        try {
            return new external_node_crypto_namespaceObject.X509Certificate(block);
        }
        catch (e) {
            throw new errors/* InputError */.dz(input, `holds a certificate that does not parse (${e.message}).`);
        }
    });
}
/** Opens a private key, encrypted or not, with a message that names the input at fault. */
function parsePrivateKey(input, pem, passphrase) {
    const encrypted = /ENCRYPTED/.test(pem);
    if (encrypted && !passphrase) {
        throw new errors/* InputError */.dz(input, "is encrypted: set 'client-key-passphrase' to the password chosen when exporting it.");
    }
    try {
        return (0,external_node_crypto_namespaceObject.createPrivateKey)({ key: pem, format: 'pem', passphrase });
    }
    catch {
        if (encrypted)
            throw new errors/* InputError */.dz('client-key-passphrase', `does not open the key in '${input}' (wrong password?).`);
        throw new errors/* InputError */.dz(input, 'is not a private key Node.js can read (expected PEM, PKCS#1 or PKCS#8).');
    }
}

;// CONCATENATED MODULE: ./src/inputs/values.ts

/** Node refuses header values with line breaks or characters outside Latin-1: say which input, before any request. */
function headerValue(input, value) {
    if (/[^\t\x20-\x7e\x80-\xff]/.test(value))
        throw new errors/* InputError */.dz(input, 'contains a line break or a character that cannot go into an HTTP header.');
    return value;
}
function parseCount(input, value) {
    if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 64)
        throw new errors/* InputError */.dz(input, `'${value}' is not a whole number from 1 to 64.`);
    return Number(value);
}
function parseChoice(input, value, choices) {
    const choice = value.toLowerCase();
    if (!choices.includes(choice))
        throw new errors/* InputError */.dz(input, `'${value}' is not one of ${choices.join(', ')}.`);
    return choice;
}
const TRUE = ['true', 'True', 'TRUE', 'yes', 'on'];
const FALSE = ['false', 'False', 'FALSE', 'no', 'off'];
function parseBoolean(input, value) {
    if (TRUE.includes(value))
        return true;
    if (FALSE.includes(value))
        return false;
    throw new errors/* InputError */.dz(input, `'${value}' is not a boolean: use true or false.`);
}

;// CONCATENATED MODULE: ./src/output/mask.ts
/**
 * Shorter values are not registered as secrets: the runner blanks every occurrence, and a short
 * value (a header-auth user id such as `sa`, a load balancer's `ROUTEID=.1`) blanks ordinary words.
 */
const MIN_MASKED_LENGTH = 8;
/**
 * Registers a secret the action derived (ticket, session cookie, minted token) the moment it
 * exists. The runner masks line by line: a multi-line value is registered line by line too.
 */
function maskDerived(secrets, value) {
    if (!value)
        return;
    if (value.length >= MIN_MASKED_LENGTH)
        secrets.setSecret(value);
    for (const line of value.split(/\r?\n/))
        if (line !== value && line.trim().length >= MIN_MASKED_LENGTH)
            secrets.setSecret(line.trim());
}
/** The qlikTicket of a proxy redirect, masked as soon as the Location is read (a one-time sign-in as the service account). */
function maskTicket(secrets, location) {
    for (const value of Array.isArray(location) ? location : location ? [location] : []) {
        for (const match of value.matchAll(/[?&]qlikTicket=([^&#\s]+)/gi)) {
            maskDerived(secrets, match[1]);
            // The ticket may travel percent-decoded too.
            maskDerived(secrets, safeDecode(match[1]));
        }
    }
}
/** Every URL and path in `text` without its query: the xrfkey and a qlikTicket live there. */
function withoutQuery(text) {
    return text.replace(/((?:https?:\/\/|\/)[^\s?#'"]*)\?[^\s'")]*/gi, '$1?…');
}
function safeDecode(value) {
    try {
        return decodeURIComponent(value);
    }
    catch {
        return value;
    }
}

;// CONCATENATED MODULE: ./src/qrs/cookies.ts

/** A browser keeps 4 KiB per cookie; a proxy's session needs one or two. */
const MAX_COOKIES = 20;
const MAX_COOKIE_BYTES = 4 * 1024;
/** The Cookie header stays below this, whatever the server sets (proxies refuse large headers). */
const MAX_HEADER_BYTES = 8 * 1024;
/**
 * The proxy's session cookie, whatever the virtual proxy calls it (X-Qlik-Session-<prefix> by
 * default, but configurable): the cookies the proxy sets are kept and sent back. Bounded: at most
 * MAX_COOKIES, each up to MAX_COOKIE_BYTES, MAX_HEADER_BYTES in all. A cookie already kept is updated;
 * a new one past the bounds is dropped, so the session cookie, set first, stays.
 */
class CookieJar {
    log;
    cookies = new Map();
    /** `log`: where the session cookie's value is masked, and dropped cookies are told (debug). */
    constructor(log) {
        this.log = log;
    }
    /** Takes the Set-Cookie headers of an answer; values are masked in the log at once. */
    take(setCookie) {
        for (const header of setCookie ?? []) {
            const [pair, ...attributes] = header.split(';');
            const at = pair.indexOf('=');
            if (at <= 0)
                continue;
            const name = pair.slice(0, at).trim();
            const value = pair.slice(at + 1).trim();
            const expired = attributes.some(a => /^\s*max-age\s*=\s*(0|-\d+)\s*$/i.test(a)) || !value;
            if (expired) {
                this.cookies.delete(name);
                continue;
            }
            // The session cookie is the credential; a load balancer's `ROUTEID=.1` is not (masking it blanks every ".1").
            if (/sess/i.test(name) || value.length >= 20)
                maskDerived(this.log, value);
            if (this.fits(name, value))
                this.cookies.set(name, value);
            else
                this.log.debug(`Cookie ${name.slice(0, 40)} not kept: the jar holds at most ${MAX_COOKIES} cookies, ${MAX_COOKIE_BYTES} bytes each, ${MAX_HEADER_BYTES} in all.`);
        }
    }
    /** Whether the jar may keep this cookie (in place of one of the same name). */
    fits(name, value) {
        const size = (n, v) => Buffer.byteLength(`${n}=${v}; `);
        if (size(name, value) > MAX_COOKIE_BYTES)
            return false;
        const old = this.cookies.get(name);
        if (old === undefined && this.cookies.size >= MAX_COOKIES)
            return false;
        const total = [...this.cookies].reduce((sum, [n, v]) => sum + size(n, v), 0) - (old === undefined ? 0 : size(name, old));
        return total + size(name, value) <= MAX_HEADER_BYTES;
    }
    get empty() {
        return this.cookies.size === 0;
    }
    names() {
        return [...this.cookies.keys()];
    }
    clear() {
        this.cookies.clear();
    }
    /** The Cookie header, or nothing when there is no session yet. */
    header() {
        return this.empty ? {} : { Cookie: [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ') };
    }
}

// EXTERNAL MODULE: ./node_modules/@actions/http-client/lib/index.js + 2 modules
var lib = __nccwpck_require__(1750);
;// CONCATENATED MODULE: external "node:stream/promises"
const promises_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:stream/promises");
// EXTERNAL MODULE: ./src/qrs/agent.ts + 2 modules
var qrs_agent = __nccwpck_require__(755);
;// CONCATENATED MODULE: ./src/qrs/connection-errors.ts


const UNKNOWN_CA = new Set([
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
    'UNABLE_TO_GET_ISSUER_CERT',
    'SELF_SIGNED_CERT_IN_CHAIN',
    'DEPTH_ZERO_SELF_SIGNED_CERT',
    'CERT_SIGNATURE_FAILURE'
]);
const CLIENT_CERT_REFUSED = /CERTIFICATE_REQUIRED|BAD_CERTIFICATE|UNKNOWN_CA|CERTIFICATE_UNKNOWN|HANDSHAKE_FAILURE/;
/** Turns a Node network or TLS error into a message that says what to change. */
function describeConnectionError(error, url) {
    const e = error;
    const code = e.code ?? '';
    const where = url.host;
    if (UNKNOWN_CA.has(code)) {
        return new errors/* ConnectionError */.Rc(`TLS: the certificate of ${where} is not trusted (${code}). Set 'ca-cert' to the site's root certificate (root.pem from the QMC certificate export) or add it to the runner's trust store.`);
    }
    if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
        const names = e.cert?.subjectaltname ?? (e.cert?.subject?.CN ? `CN=${e.cert.subject.CN}` : 'unknown names');
        const first = /DNS:([^,\s]+)/.exec(names)?.[1] ?? e.cert?.subject?.CN;
        return new errors/* ConnectionError */.Rc(`TLS: the certificate of ${where} is issued to ${names}, not to '${url.hostname}'. Qlik issues it to the machine name the node was installed with: connect by that name, or set 'tls-server-name: ${first ?? '<machine name>'}'.`);
    }
    if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
        return new errors/* ConnectionError */.Rc(`TLS: the certificate of ${where} is ${code === 'CERT_HAS_EXPIRED' ? 'expired' : 'not valid yet'}${e.cert?.valid_to ? ` (valid to ${e.cert.valid_to})` : ''}. Renew the Qlik certificates on the server, or check the runner's clock.`);
    }
    if (CLIENT_CERT_REFUSED.test(code) || CLIENT_CERT_REFUSED.test(e.message)) {
        return new errors/* ConnectionError */.Rc(`TLS: ${where} refused the client certificate (${code || e.message}). Use client.pem and client_key.pem exported from this site's QMC.`);
    }
    if (code === 'ECONNREFUSED')
        return new errors/* ConnectionError */.Rc(`Nothing accepts connections at ${where} (ECONNREFUSED): check the host and port (4242 for certificates, 443 for the proxy) and the firewall.`, true);
    if (code === 'ENOTFOUND')
        return new errors/* ConnectionError */.Rc(`Cannot resolve ${url.hostname} (${code}): check the host name and the runner's DNS.`, false, code);
    if (code === 'EAI_AGAIN')
        return new errors/* ConnectionError */.Rc(`Cannot resolve ${url.hostname} right now (${code}): the runner's DNS did not answer.`, true);
    if (code === 'ETIMEDOUT' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH')
        return new errors/* ConnectionError */.Rc(`Cannot reach ${where} (${code}): the runner must be inside the network that reaches Qlik Sense.`, true);
    if (code === 'ECONNRESET' || code === 'EPIPE' || /socket hang up/i.test(e.message)) {
        return new errors/* ConnectionError */.Rc(`${where} closed the connection without answering (${code || e.message}). If this happens at once every time, the server may be refusing the client certificate or the TLS version.`, true);
    }
    if (/^Request timeout/.test(e.message))
        return new errors/* ConnectionError */.Rc(`${where} did not answer in time (${withoutQuery(e.message)}).`, true, 'ETIMEDOUT');
    return new errors/* ConnectionError */.Rc(`Request to ${where} failed: ${withoutQuery(e.message)}${code ? ` (${code})` : ''}`);
}

;// CONCATENATED MODULE: ./src/qrs/transport.ts






const DEFAULT_TIMEOUT_MS = 30_000;
/** One keep-alive HTTPS client with the site's TLS settings; no redirects followed, no retries. */
class Transport {
    base;
    http;
    agent;
    timeoutMs;
    /** The abort signal of the request being prepared: http-client hands its options to prepareRequest synchronously. */
    nextSignal;
    constructor(base, options) {
        this.base = base;
        const agent = (this.agent = (0,qrs_agent/* createAgent */.S)(base, options.serverTls, options.clientTls, options.maxSockets));
        this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
        // http-client's documented hook: each request goes out on our agent, with our TLS settings.
        const useOurAgent = {
            prepareRequest: (request) => {
                request.agent = agent;
                // Node's request option: an abort destroys the request and its socket (a cancel or the time limit must not wait for a slow answer).
                if (this.nextSignal)
                    request.signal = this.nextSignal;
                this.nextSignal = undefined;
            },
            canHandleAuthentication: () => false,
            handleAuthentication: () => Promise.reject(new Error('no authentication handler'))
        };
        this.http = new lib/* HttpClient */.Qq(options.userAgent, [useOurAgent], {
            keepAlive: true,
            allowRedirects: false,
            maxSockets: options.maxSockets,
            // A backstop only: our own timer bounds the whole request (an idle timer never fires on a body that drips).
            socketTimeout: this.timeoutMs + 1_000
        });
    }
    async request(method, url, headers, payload, limits = {}) {
        const limit = this.limit(url, limits, limits.timeoutMs ?? this.timeoutMs);
        try {
            const message = await this.open(method, url, headers, payload, limit.signal);
            const status = message.statusCode ?? 0;
            return { status, headers: message.headers, body: await readBody(message, status, this.base), socket: message.socket };
        }
        catch (error) {
            throw limit.explain(error);
        }
        finally {
            limit.clear();
        }
    }
    /**
     * A GET whose 200 body is piped into the `sink()` stages (script logs can be hundreds of MB); other
     * answers come back as text. The head (and a body that is not streamed) is bounded by the time limit;
     * a streamed body by `bodyMs` instead, which ends it where it is (`cutShort`), the stages closed as
     * after a whole body: what came is kept.
     */
    async download(url, headers, sink, limits) {
        const head = this.limit(url, limits, limits.timeoutMs ?? this.timeoutMs);
        let message;
        try {
            message = await this.open('GET', url, headers, undefined, head.signal);
            const status = message.statusCode ?? 0;
            if (status !== 200)
                return { status, headers: message.headers, body: await readBody(message, status, this.base), socket: message.socket, bytes: 0, cutShort: false };
        }
        catch (error) {
            throw head.explain(error);
        }
        finally {
            head.clear();
        }
        const streamed = await stream(message, sink(), limits.bodyMs, limits.signal).catch((error) => {
            throw limits.signal?.aborted ? limits.signal.reason : bodyError(error, this.base);
        });
        return { status: 200, headers: message.headers, body: '', socket: message.socket, ...streamed };
    }
    async open(method, url, headers, body, signal) {
        signal.throwIfAborted();
        this.nextSignal = signal;
        return (await this.http.request(method, url, body ?? (method === 'POST' ? '' : null), headers)).message;
    }
    /**
     * The request's own signal: the caller's (a cancel) or the time limit, whichever comes first, and what
     * an error means once one of them fired.
     */
    limit(url, limits, timeoutMs) {
        const timer = new AbortController();
        const timeout = setTimeout(() => timer.abort(), timeoutMs);
        const signal = limits.signal ? AbortSignal.any([limits.signal, timer.signal]) : timer.signal;
        return {
            signal,
            clear: () => clearTimeout(timeout),
            explain: error => {
                if (limits.signal?.aborted)
                    return limits.signal.reason;
                if (timer.signal.aborted) {
                    const { pathname, search } = new URL(url);
                    return new errors/* ConnectionError */.Rc(`${this.base.host} did not answer in time (Request timeout: ${withoutQuery(pathname + search)}).`, true, 'ETIMEDOUT');
                }
                if (error instanceof errors/* ConnectionError */.Rc)
                    return error;
                return describeConnectionError(error, this.base);
            }
        };
    }
    dispose() {
        this.http.dispose();
        this.agent.destroy?.();
    }
}
/** A JSON answer larger than this is refused (the largest lists of a big site are a few MB). */
const MAX_BODY_BYTES = 32 * 1024 * 1024;
/** Of an error body only the first part is kept: it is shown cut to a line anyway. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;
/** The body as text, bounded: an error body is cut (and the connection closed), a too large 2xx answer refused. */
async function readBody(message, status, base) {
    const ok = status >= 200 && status < 300;
    const limit = ok ? MAX_BODY_BYTES : MAX_ERROR_BODY_BYTES;
    const chunks = [];
    let bytes = 0;
    try {
        for await (const chunk of message) {
            chunks.push(chunk);
            bytes += chunk.length;
            if (bytes > limit) {
                // Not read to its end: this connection cannot carry another request.
                message.destroy();
                if (ok)
                    throw new errors/* ConnectionError */.Rc(`The server's answer is larger than ${limit / 1024 / 1024} MiB: refused.`);
                return Buffer.concat(chunks).subarray(0, limit).toString('utf8');
            }
        }
    }
    catch (error) {
        throw error instanceof errors/* ConnectionError */.Rc ? error : bodyError(error, base);
    }
    return Buffer.concat(chunks).toString('utf8');
}
/** An answer that broke off in the middle is a connection error like any other: worth another try. */
function bodyError(error, base) {
    if (error instanceof errors/* ConnectionError */.Rc)
        return error;
    const e = error;
    return new errors/* ConnectionError */.Rc(`${base.host} closed the connection in the middle of its answer (${e.code || e.message || 'no reason given'}).`, true);
}
/** Pipes the body into the stages; after `bodyMs` it stops reading and ends them as a whole body would. */
async function stream(message, stages, bodyMs, signal) {
    const [first] = stages;
    const last = stages.at(-1);
    for (let i = 1; i < stages.length; i++)
        stages[i - 1].pipe(stages[i]);
    let bytes = 0;
    let cutShort = false;
    const fail = (error) => {
        for (const stage of stages)
            stage.destroy(error);
    };
    const stopReading = () => {
        message.unpipe(first);
        message.removeAllListeners('data');
        message.destroy();
    };
    const timer = setTimeout(() => {
        cutShort = true;
        stopReading();
        first.end();
    }, bodyMs);
    const onAbort = () => {
        stopReading();
        fail(signal.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    message.on('data', (chunk) => (bytes += chunk.length));
    message.on('error', error => {
        if (!cutShort)
            fail(error);
    });
    message.on('close', () => {
        if (!message.complete && !cutShort)
            fail(new Error('aborted'));
    });
    for (const stage of stages)
        stage.on('error', fail);
    message.pipe(first);
    try {
        await (0,promises_namespaceObject.finished)(last);
    }
    finally {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
    }
    return { bytes, cutShort };
}
function isRedirect(status) {
    return status >= 300 && status < 400;
}

;// CONCATENATED MODULE: ./src/qrs/retry.ts

/** A GET outside the wait is retried this many times on transient trouble before its error is the step's. */
const MAX_RETRIES = 5;
/**
 * Of those, this many after answers that did not come within request-timeout: a server that slow (or a
 * body that drips) is not flapping, and each try costs a whole request-timeout.
 */
const MAX_TIMEOUT_RETRIES = 2;
/** No retry comes sooner than this after the last try, whatever the server says: at most two a second per read. */
const MIN_RETRY_GAP_MS = 500;
const BACKOFF_BASE_MS = 500;
/** Capped: a node restart takes minutes, and the wait must notice the server's return soon after it. */
const BACKOFF_CAP_MS = 15_000;
const RETRY_AFTER_CAP_MS = 60_000;
/**
 * The one classification of "worth another try": no answer for a reason that passes (reset,
 * refused, timeout, DNS not answering) or an answer that says "later" (5xx, 429). TLS, DNS names,
 * 4xx and wrong answers are not: trying again would only repeat them.
 */
function isTransient(error) {
    if (error instanceof errors/* ConnectionError */.Rc)
        return error.transient;
    return error instanceof errors/* QrsError */.Ds && (error.status === 429 || error.status >= 500);
}
/** No whole answer within request-timeout (or no connection within the system's). */
function isTimeout(error) {
    return error instanceof errors/* ConnectionError */.Rc && error.code === 'ETIMEDOUT';
}
/**
 * How long to wait before attempt `attempt + 1` (0-based): capped exponential backoff with jitter between
 * its floor (half the ceiling, at least MIN_RETRY_GAP_MS) and its ceiling, so parallel jobs do not come
 * back in lockstep and no gap is ever near zero. The server's Retry-After wins when it asks for longer
 * (capped at a minute); one that asks for less (0, a date in the past) gets the floor: no retry storm.
 * `attempt` grows without bound during an outage; the cap holds.
 */
function retry_retryDelay(error, attempt, random = Math.random) {
    const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.min(attempt, 30));
    const floor = Math.max(MIN_RETRY_GAP_MS, ceiling / 2);
    if (error instanceof errors/* QrsError */.Ds && error.retryAfterMs !== undefined)
        return Math.min(Math.max(error.retryAfterMs, floor), RETRY_AFTER_CAP_MS);
    return Math.round(floor + random() * Math.max(0, ceiling - floor));
}
/** Seconds or an HTTP date, as Retry-After allows. */
function parseRetryAfter(value, now = Date.now()) {
    if (!value)
        return undefined;
    if (/^\d+$/.test(value.trim()))
        return Number(value.trim()) * 1000;
    const date = Date.parse(value);
    return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
/**
 * What a wait rides out while the reload runs (up to its timeout), beyond the transient: an answer it
 * cannot use (an HTML maintenance page, a wrong type: for 20 s, see poller.ts), a name that does not resolve for a while (a DNS
 * failure), and a 401 that signing in again did not cure yet (a proxy that lost its sessions). The
 * reload runs on without us; none of these says it ended.
 */
function retry_isOutage(error) {
    if (isTransient(error) || error instanceof errors/* UnexpectedAnswer */.M7)
        return true;
    if (error instanceof errors/* ConnectionError */.Rc)
        return error.code === 'ENOTFOUND';
    return error instanceof errors/* QrsError */.Ds && error.status === 401;
}

;// CONCATENATED MODULE: ./src/auth/login.ts




/** Which login module of the proxy a redirect points at, if any. */
function loginModule(response) {
    if (!isRedirect(response.status))
        return undefined;
    const location = String(response.headers.location ?? '');
    if (/internal_windows_authentication/i.test(location))
        return 'windows';
    if (/internal_forms_authentication/i.test(location))
        return 'forms';
    return undefined;
}
/** Why the proxy sent this auth type to a login module (or why signing in failed). */
function loginError(response, type, site) {
    const module = loginModule(response);
    const { url, userAgent } = site;
    if (module === 'forms') {
        return new errors/* AuthError */.lR(`The proxy sent the request to its forms login page (internal_forms_authentication) instead of Windows authentication. ` +
            `Either the user agent '${userAgent}' lacks the virtual proxy's Windows authentication pattern (set user-agent to contain it; the default pattern is 'Windows'), ` +
            `or url is missing the virtual proxy prefix (e.g. ${url.origin}/ntlm).`);
    }
    if (module === 'windows') {
        return new errors/* AuthError */.lR(`The proxy wants Windows authentication, but auth-type is '${type}': url probably lacks the virtual proxy prefix of the ${type} virtual proxy (e.g. ${url.origin}/${type === 'jwt' ? 'jwt' : 'hdr'}).`);
    }
    return new errors/* AuthError */.lR(`Signing in failed: the proxy answered ${response.status}${response.headers.location ? ` redirecting to ${withoutQuery(response.headers.location)}` : ''}.`);
}
/** A redirect to a login module, explained; other redirects are the client's to report. */
function loginRedirectError(response, type, site) {
    return loginModule(response) ? loginError(response, type, site) : undefined;
}
/** Redirects are only followed on the Qlik host the user configured. */
function sameOrigin(location, site) {
    const url = new URL(location, site.url);
    if (url.origin !== site.url.origin) {
        throw new errors/* AuthError */.lR(`The proxy redirected to ${url.origin}, not ${site.url.origin}: set url to the host name the proxy uses (and tls-server-name if needed).`);
    }
    return url;
}
const PROXY_HTML_HINT = `Expected JSON but got an HTML page, probably a login form: url must include the virtual proxy prefix, and for Windows authentication user-agent must contain the virtual proxy's Windows authentication pattern.`;
/**
 * A sign-in leg the proxy answered "later" (5xx, 429: a node restarting, a busy proxy) fails as the
 * QRS answer it stands for, so the request that needed the sign-in is retried like any other GET.
 */
function throwIfBusy(response, url) {
    if (response.status !== 429 && response.status < 500)
        return;
    const retryAfter = parseRetryAfter(String(response.headers['retry-after'] ?? '') || undefined);
    throw new errors/* QrsError */.Ds('GET', url.pathname, response.status, response.body, 'The virtual proxy could not sign in just now.', retryAfter);
}

;// CONCATENATED MODULE: ./src/auth/session.ts



/** The proxy's session: every cookie it sets, sent back on each request. */
class ProxySession {
    jar;
    /** `log`: where the cookie values are masked the moment they arrive. */
    constructor(log) {
        this.jar = new CookieJar(log);
    }
    get active() {
        return !this.jar.empty;
    }
    /** The Cookie header, or nothing before the proxy set one. */
    header() {
        return this.jar.header();
    }
    receive(response) {
        this.jar.take(response.headers['set-cookie']);
    }
    names() {
        return this.jar.names();
    }
    clear() {
        this.jar.clear();
    }
}
/** After a proxy failover the old cookie is answered with 500 "Authentication error". */
function lostAfterFailover(response, sentWithSession) {
    return response.status === 500 && sentWithSession && /Authentication error/i.test(response.body);
}
/**
 * Auth that sends credentials on a request (certificate, JWT, header): an expired session is
 * answered with 401 or a redirect to a login, and renewing is dropping the cookie, so the next
 * request carries the credentials again. Without a session, such an answer is the verdict.
 */
function credentialsAuthenticator(strategy, site) {
    const session = new ProxySession(site.log);
    return {
        description: strategy.description,
        clientTls: strategy.clientTls ?? {},
        prepare: () => ({ headers: { ...strategy.credentials(session.active), ...session.header() }, session: session.active }),
        receive: response => session.receive(response),
        expired: (response, sentWithSession) => lostAfterFailover(response, sentWithSession) || (sentWithSession && (response.status === 401 || isRedirect(response.status))),
        renew: async () => {
            session.clear();
            return undefined;
        },
        refusalHint: (status, body) => strategy.refusalHint(status, body),
        redirectError: response => loginRedirectError(response, strategy.type, site),
        htmlHint: strategy.htmlHint ?? PROXY_HTML_HINT
    };
}

;// CONCATENATED MODULE: ./src/qrs/user.ts
/**
 * Reads `DIRECTORY\userId` (how an execution session's `user` reads) or the `X-Qlik-User` form
 * `UserDirectory=INTERNAL; UserId=sa_api` (parts in any order and case, spaces optional).
 */
function parseUser(text) {
    const part = (key) => new RegExp(`(?:^|;)\\s*${key}\\s*=\\s*([^;]*)`, 'i').exec(text)?.[1]?.trim();
    const userId = part('UserId');
    if (userId !== undefined)
        return { directory: part('UserDirectory') ?? '', userId };
    const slash = text.lastIndexOf('\\');
    return { directory: text.slice(0, Math.max(0, slash)).trim(), userId: text.slice(slash + 1).trim() };
}
/** `DIRECTORY\userId`; `\userId` when the directory is not known. */
function formatUser({ directory, userId }) {
    return `${directory}\\${userId}`;
}

;// CONCATENATED MODULE: ./src/auth/certificate.ts





/** auth-type: certificate (port 4242): client-cert, client-key, client-key-passphrase, qlik-user. */
const certificateMethod = {
    read: inputs => ({ type: 'certificate', certificate: readClientCertificate(inputs), qlikUser: parseQlikUser(inputs.get('qlik-user')) }),
    create: (settings, site) => certificateAuth(settings.certificate, settings.qlikUser, site),
    // `UserDirectory=INTERNAL; UserId=sa_api` as the QRS names the user: `INTERNAL\sa_api`.
    user: settings => formatUser(parseUser(settings.qlikUser))
};
/**
 * Certificate auth on port 4242: mutual TLS with the site's client certificate, and the
 * user to act as in `X-Qlik-User` (without it the QRS runs the call with full admin rights).
 */
function certificateAuth(certificate, qlikUser, site) {
    return credentialsAuthenticator({
        type: 'certificate',
        description: `certificate (${qlikUser})`,
        clientTls: { cert: certificate.cert, key: certificate.key, passphrase: certificate.passphrase },
        credentials: () => ({ 'X-Qlik-User': qlikUser }),
        refusalHint: status => status === 403
            ? "Refused: the client certificate must be exported from this site's QMC (Certificates), and the user in qlik-user needs security rules that allow this call."
            : undefined,
        htmlHint: 'Expected JSON but got an HTML page: url probably points at the proxy or a web server rather than the QRS (port 4242 for certificates).'
    }, site);
}
function readClientCertificate({ get, secrets }) {
    const passphrase = get('client-key-passphrase') || undefined;
    if (passphrase)
        secrets.push(passphrase);
    for (const name of ['client-cert', 'client-key']) {
        if (!get(name))
            throw new errors/* InputError */.dz(name, "is required with auth-type 'certificate' (QMC export: client.pem, client_key.pem).");
    }
    const key = readPem('client-key', get('client-key'));
    secrets.push(...secretLines(key));
    const cert = readPem('client-cert', get('client-cert'));
    const [leaf] = parseCertificates('client-cert', cert);
    const keyObject = parsePrivateKey('client-key', key, passphrase);
    if (!leaf.checkPrivateKey(keyObject)) {
        throw new errors/* InputError */.dz('client-key', `does not belong to the certificate in 'client-cert' (${leaf.subject.replace(/\n/g, ', ')}).`);
    }
    return { cert, key, passphrase };
}
function parseQlikUser(value) {
    headerValue('qlik-user', value);
    // UserDirectory=INTERNAL; UserId=sa_api: ';' separated, spaces optional, order free.
    const parts = value
        .split(';')
        .map(p => p.trim())
        .filter(Boolean);
    const keys = parts.map(p => /^(\w+)\s*=\s*\S.*$/.exec(p)?.[1]?.toLowerCase());
    if (parts.length !== 2 || !keys.includes('userdirectory') || !keys.includes('userid')) {
        throw new errors/* InputError */.dz('qlik-user', `'${value}' is not of the form 'UserDirectory=INTERNAL; UserId=sa_api' (';' between the parts).`);
    }
    return value;
}

;// CONCATENATED MODULE: ./src/auth/header.ts





/** auth-type: header (through a virtual proxy): header-name, header-value. */
const headerMethod = {
    read: inputs => ({ type: 'header', ...readHeader(inputs) }),
    create: (settings, site) => headerAuth(settings.name, settings.value, site),
    // `DIRECTORY\user` with a dynamic user directory; a static one is the virtual proxy's, not known here.
    user: settings => formatUser(parseUser(settings.value))
};
/**
 * Header auth through a virtual proxy: the proxy trusts a header that names the user. Sent until
 * the proxy has set its session cookie, then the cookie alone, so the run keeps one proxy session.
 */
function headerAuth(name, value, site) {
    return credentialsAuthenticator({
        type: 'header',
        description: `header ${name}`,
        credentials: (session) => (session ? {} : { [name]: value }),
        refusalHint: status => status === 401 || status === 403
            ? `The proxy did not accept header auth: header-name must be the virtual proxy's "Header authentication header name" (now '${name}'), header-value a user it knows, and url must include the virtual proxy prefix.`
            : undefined
    }, site);
}
function readHeader({ get, secrets }) {
    const name = get('header-name');
    const value = get('header-value');
    if (!name)
        throw new errors/* InputError */.dz('header-name', "is required with auth-type 'header' (the virtual proxy's header name).");
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name))
        throw new errors/* InputError */.dz('header-name', `'${name}' is not a valid HTTP header name.`);
    if (!value)
        throw new errors/* InputError */.dz('header-value', "is required with auth-type 'header' (the user id the proxy should sign in).");
    // A user id, not a password: a short one (`sa`) masked would blank ordinary words in the log.
    if (value.length >= MIN_MASKED_LENGTH)
        secrets.push(value);
    headerValue('header-value', value);
    return { name, value };
}

;// CONCATENATED MODULE: ./src/auth/jwt.ts





const JWT_ALGORITHMS = ['RS256', 'RS384', 'RS512'];
/** auth-type: jwt (through a virtual proxy): jwt, or jwt-private-key and the claims to mint one. */
const jwtMethod = {
    read: inputs => ({ type: 'jwt', source: readJwtSource(inputs) }),
    create: async (settings, site) => jwtAuth(settings.source, site, settings.source.kind === 'mint' ? await jwtSigner() : undefined),
    user: ({ source }) => (source.kind === 'static' ? source.user : formatUser({ directory: source.userDirectory, userId: source.userId }))
};
/** jsonwebtoken, loaded only when a token is minted here (it is not small). */
async function jwtSigner() {
    const { default: jwt } = await __nccwpck_require__.e(/* import() */ 653).then(__nccwpck_require__.t.bind(__nccwpck_require__, 9653, 23));
    return (claims, key, options) => jwt.sign(claims, key, options);
}
/** Re-mint when less than this is left: a request must not arrive with a token about to expire. */
const RENEW_BEFORE_S = 60;
/**
 * JWT auth through a virtual proxy: `Authorization: Bearer` until the proxy has set its session
 * cookie, then the cookie alone (every request without it would open another proxy session).
 */
function jwtAuth(source, site, sign, now = Date.now) {
    let token = source.kind === 'static' ? source.token : '';
    let expiresAt = 0;
    const current = () => {
        if (source.kind === 'static')
            return token;
        const seconds = Math.floor(now() / 1000);
        if (!token || expiresAt - seconds < RENEW_BEFORE_S) {
            if (!sign)
                throw new Error('jwtAuth: minting needs the signer (jwtSigner())');
            const claims = { [source.userIdClaim]: source.userId, [source.userDirectoryClaim]: source.userDirectory, iat: seconds };
            token = sign(claims, source.privateKey, {
                algorithm: source.algorithm,
                expiresIn: source.lifetimeSeconds,
                ...(source.audience ? { audience: source.audience } : {})
            });
            expiresAt = seconds + source.lifetimeSeconds;
            site.log.setSecret(token);
        }
        return token;
    };
    const claimHint = source.kind === 'mint'
        ? ` the claim names (now '${source.userIdClaim}' and '${source.userDirectoryClaim}', see jwt-user-id-claim and jwt-user-directory-claim) must match the virtual proxy's "JWT attribute for user ID" and "JWT attribute for user directory";`
        : ' the claim names must match the virtual proxy\'s "JWT attribute for user ID" and "JWT attribute for user directory";';
    return credentialsAuthenticator({
        type: 'jwt',
        description: source.kind === 'static' ? 'JWT (given token)' : `JWT (minted ${source.algorithm} for ${source.userDirectory}\\${source.userId})`,
        credentials: (session) => (session ? {} : { Authorization: `Bearer ${current()}` }),
        refusalHint: status => {
            if (status === 401) {
                return `The proxy refused the JWT. Check: it is signed with the private key of the certificate configured on the JWT virtual proxy (RS256, RS384 or RS512); it has not expired;${claimHint} the audience matches if the virtual proxy sets one; the url includes the virtual proxy prefix.`;
            }
            if (status === 403)
                return "Forbidden: the runner's host may be missing from the virtual proxy's host allow list, or the user lacks rights.";
            return undefined;
        }
    }, site);
}
/** Minted tokens live five minutes: long enough for a request, short enough to be worthless if leaked. */
const MINTED_LIFETIME_S = 300;
/** `jwt` (a token) or `jwt-private-key` + `jwt-user-id` + `jwt-user-directory` (mint on the runner). */
function readJwtSource({ get, secrets }) {
    const token = get('jwt');
    const keyInput = get('jwt-private-key');
    if (token && keyInput)
        throw new errors/* InputError */.dz('jwt', 'set either jwt or jwt-private-key, not both.');
    if (token) {
        secrets.push(token);
        const claims = checkToken(token);
        const claim = (name) => (typeof claims[get(name)] === 'string' ? claims[get(name)] : '');
        const userId = claim('jwt-user-id-claim');
        return { kind: 'static', token, user: userId ? formatUser({ directory: claim('jwt-user-directory-claim'), userId }) : '' };
    }
    if (!keyInput)
        throw new errors/* InputError */.dz('jwt', "auth-type 'jwt' needs jwt (a signed token) or jwt-private-key with jwt-user-id and jwt-user-directory.");
    const privateKey = readPem('jwt-private-key', keyInput);
    secrets.push(...secretLines(privateKey));
    let type;
    try {
        type = (0,external_node_crypto_namespaceObject.createPrivateKey)(privateKey).asymmetricKeyType;
    }
    catch {
        throw new errors/* InputError */.dz('jwt-private-key', 'is not a private key Node.js can read (expected an unencrypted PEM RSA key).');
    }
    if (type !== 'rsa')
        throw new errors/* InputError */.dz('jwt-private-key', `is an ${String(type).toUpperCase()} key; Qlik's JWT virtual proxies verify RS256, RS384 or RS512, which need an RSA key.`);
    const algorithm = get('jwt-algorithm').toUpperCase();
    if (!JWT_ALGORITHMS.includes(algorithm)) {
        throw new errors/* InputError */.dz('jwt-algorithm', `'${get('jwt-algorithm')}' is not one of ${JWT_ALGORITHMS.join(', ')} (the only algorithms Qlik's JWT virtual proxy accepts).`);
    }
    // The claim names have defaults (userId, userDirectory); the values have none.
    for (const name of ['jwt-user-id', 'jwt-user-directory']) {
        if (!get(name))
            throw new errors/* InputError */.dz(name, 'is required to mint a JWT with jwt-private-key.');
    }
    return {
        kind: 'mint',
        privateKey,
        algorithm: algorithm,
        userId: get('jwt-user-id'),
        userDirectory: get('jwt-user-directory'),
        userIdClaim: get('jwt-user-id-claim'),
        userDirectoryClaim: get('jwt-user-directory-claim'),
        audience: get('jwt-audience') || undefined,
        lifetimeSeconds: MINTED_LIFETIME_S
    };
}
/** A given token must look like a signed JWT with an algorithm the proxy accepts, and not be expired: its claims. */
function checkToken(token) {
    const parts = token.split('.');
    const decode = (part) => {
        try {
            return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
        }
        catch {
            return undefined;
        }
    };
    const header = parts.length === 3 ? decode(parts[0]) : undefined;
    const payload = parts.length === 3 ? decode(parts[1]) : undefined;
    if (!header || !payload || !parts[2])
        throw new errors/* InputError */.dz('jwt', 'is not a signed JWT (expected three base64url parts: header.payload.signature).');
    if (!JWT_ALGORITHMS.includes(String(header.alg))) {
        throw new errors/* InputError */.dz('jwt', `is signed with ${String(header.alg)}; Qlik's JWT virtual proxy accepts only ${JWT_ALGORITHMS.join(', ')}.`);
    }
    if (typeof payload.exp === 'number' && payload.exp * 1000 <= Date.now()) {
        throw new errors/* InputError */.dz('jwt', `expired at ${new Date(payload.exp * 1000).toISOString()}: issue a new token, or let the action mint one with jwt-private-key.`);
    }
    return payload;
}

;// CONCATENATED MODULE: ./src/qrs/xrfkey.ts

const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
/** A fresh 16-character key for the `xrfkey` query parameter and the `X-Qlik-Xrfkey` header. */
function newXrfkey() {
    let key = '';
    for (let i = 0; i < 16; i++)
        key += ALPHABET[(0,external_node_crypto_namespaceObject.randomInt)(ALPHABET.length)];
    return key;
}

;// CONCATENATED MODULE: ./src/output/commands.ts
/**
 * When the runner takes a line of stdout for a workflow command (actions/runner, ActionCommand.cs):
 * - a line ends at CR, LF or CRLF (StreamReader.ReadLine), nothing else;
 * - the new format: the line, after .NET's `String.TrimStart()`, starts with `::`. TrimStart strips every
 *   `char.IsWhiteSpace` character: U+0009–U+000D, U+0020, U+0085, U+00A0, U+1680, U+2000–U+200A, U+2028,
 *   U+2029, U+202F, U+205F, U+3000 (JavaScript's trimStart() misses U+0085);
 * - the old format: `##[` anywhere in the line.
 * Both `StartsWith("::")` and `IndexOf("##[")` compare culture-sensitively, so characters ICU gives no
 * weight (format and control characters, and others) may sit between the marks: `:\u00AD:` is `::`.
 * The check below skips more than the runner does (every separator, mark, format and control character,
 * and whatever the collator ignores): it may call a harmless line a command, never the other way round.
 */
/** A line of server text as the runner will read it: split at CR, LF and CRLF. */
function runnerLines(text) {
    return text.split(/\r\n|\r|\n/);
}
/** Whether the runner could take this line (one line, no CR or LF) for a command. */
function mayBeCommand(line) {
    return startsWithColons(line) || holdsOldPrefix(line);
}
function startsWithColons(line) {
    const first = skip(line, 0);
    return line[first] === ':' && line[skip(line, first + 1)] === ':';
}
function holdsOldPrefix(line) {
    for (let at = line.indexOf('#'); at >= 0; at = line.indexOf('#', at + 1)) {
        const second = skip(line, at + 1);
        if (line[second] === '#' && line[skip(line, second + 1)] === '[')
            return true;
    }
    return false;
}
/** The index of the first character at or after `at` that a culture-sensitive comparison would not skip. */
function skip(line, at) {
    while (at < line.length) {
        const code = line.codePointAt(at);
        if (!skippable(code))
            break;
        at += code > 0xffff ? 2 : 1;
    }
    return at;
}
/** Separators (all .NET whitespace among them), marks, control, format, surrogate, private and unassigned code points. */
const SKIPPED_CATEGORIES = /^[\p{Z}\p{M}\p{C}]$/u;
const collator = new Intl.Collator('und');
/** Bounded: a hostile text could hold every code point once. */
const ignorable = new Map();
const MAX_REMEMBERED = 4096;
function skippable(code) {
    // Printable ASCII always weighs; the rest of ASCII below 0x20, and DEL, are controls.
    if (code < 0x80)
        return code <= 0x20 || code === 0x7f;
    let known = ignorable.get(code);
    if (known === undefined) {
        const ch = String.fromCodePoint(code);
        known = SKIPPED_CATEGORIES.test(ch) || collator.compare(`a${ch}b`, 'ab') === 0;
        if (ignorable.size >= MAX_REMEMBERED)
            ignorable.clear();
        ignorable.set(code, known);
    }
    return known;
}
/**
 * Text that goes out inside a runner command (an annotation's message, a group's name, a debug line), where
 * stop-commands cannot help. The toolkit escapes its line breaks, and the runner turns them back: it writes
 * the first line after a tag of its own (`##[error]`, `##[group]`), and every further line into the step
 * log as a line of its own, where `##[group]`, `##[error]` and the like are markers. Each such line that
 * could be a command or a marker gets a mark in front and its `#` made full-width. (An annotation's title
 * never becomes a log line.)
 */
function neutralise(text) {
    const [first, ...rest] = runnerLines(text);
    if (rest.length === 0)
        return text;
    return [first, ...rest.map(line => (mayBeCommand(line) ? `› ${line.replace(/#/g, '＃')}` : line))].join('\n');
}

;// CONCATENATED MODULE: ./src/output/untrusted.ts


/**
 * The raw `info` of each gated toolkit (see `gate`): the stop-commands lines of a block go out through it,
 * not through the gate, which would take them for server text and wrap them in a block of their own.
 */
const rawInfo = new WeakMap();
const printerOf = (log) => rawInfo.get(log) ?? (line => log.info(line));
/**
 * Runs `print` between `::stop-commands::<token>` and `::<token>::`. The token is random per
 * block (never derived from the text), so server text cannot end the block early; a line that
 * happens to contain it is printed without it.
 */
async function withCommandsStopped(log, print) {
    const block = stopCommands(printerOf(log));
    try {
        return await print(block.info);
    }
    finally {
        block.resume();
    }
}
/**
 * Text from the server (task, app, stream and node names, detail messages, script log lines, error
 * bodies), alone or within our own lines: printed as it is when no line of it can be a runner command
 * (commands.ts says when the runner takes a line for one), else all of it with commands stopped.
 */
function printUntrusted(log, ...lines) {
    const info = printerOf(log);
    if (!lines.some(line => runnerLines(line).some(mayBeCommand))) {
        for (const line of lines)
            info(line);
        return;
    }
    const block = stopCommands(info);
    for (const line of lines)
        block.info(line);
    block.resume();
}
function stopCommands(info) {
    const token = (0,external_node_crypto_namespaceObject.randomBytes)(16).toString('hex');
    const hidden = new RegExp(token, 'gi');
    info(`::stop-commands::${token}`);
    return {
        info: line => info(withoutToken(line, hidden)),
        resume: () => info(`::${token}::`)
    };
}
/** Until none is left: taking one out must not join the pieces around it into another. */
function withoutToken(line, token) {
    for (let previous = ''; previous !== line;)
        [previous, line] = [line, line.replace(token, '')];
    return line;
}
/**
 * The one way out for everything the steps say: every log line passes `printUntrusted`, and the texts that
 * travel inside a runner command (annotations, group names, debug lines), where commands cannot be
 * stopped, are neutralised line by line (commands.ts). Whatever a caller prints, and whatever server text
 * it holds, no line of it can be a command. The steps wrap their toolkit in it first.
 */
function gate(toolkit) {
    const gated = {
        ...toolkit,
        info: message => printUntrusted(toolkit, message),
        debug: message => toolkit.debug(neutralise(message)),
        warning: (message, properties) => toolkit.warning(neutralise(message), properties),
        error: (message, properties) => toolkit.error(neutralise(message), properties),
        group: (title, fn) => toolkit.group(neutralise(title), fn)
    };
    rawInfo.set(gated, line => toolkit.info(line));
    return gated;
}

;// CONCATENATED MODULE: ./src/auth/ntlm.ts









/** auth-type: ntlm (Windows authentication through a virtual proxy): username, password. */
const ntlmMethod = {
    read: inputs => ({ type: 'ntlm', credentials: readWindowsCredentials(inputs) }),
    create: (settings, site) => ntlmAuth(settings.credentials, site),
    // The NetBIOS domain is the user directory; a UPN's or a bare user's directory is the server's to say.
    user: ({ credentials: { domain, user } }) => formatUser({ directory: domain, userId: domain ? user : user.replace(/@.*$/, '') })
};
function readWindowsCredentials({ get, raw, secrets }) {
    const username = get('username');
    // Passwords keep leading and trailing spaces.
    const password = raw('password');
    if (password)
        secrets.push(password);
    if (!username)
        throw new errors/* InputError */.dz('username', "is required with auth-type 'ntlm' (DOMAIN\\user, user@domain or user).");
    if (!password)
        throw new errors/* InputError */.dz('password', "is required with auth-type 'ntlm'.");
    const { user, domain } = parseWindowsUser(username);
    if (!user || /[\\/\s]/.test(user) || /\s/.test(domain)) {
        throw new errors/* InputError */.dz('username', `'${username}' is not DOMAIN\\user, user@domain or user (in YAML, quote it: 'CORP\\svc_reload').`);
    }
    return { user, domain, password };
}
/** `CORP\svc_reload`, `svc_reload@corp.example` or `svc_reload`. */
function parseWindowsUser(username) {
    const slash = username.indexOf('\\');
    if (slash >= 0)
        return { domain: username.slice(0, slash), user: username.slice(slash + 1) };
    // A UPN travels whole in the user field with an empty domain, as Windows clients send it.
    return { domain: '', user: username };
}
const NEGOTIATE_EXTENDED_SESSION_SECURITY = 0x00080000;
const NEGOTIATE_TARGET_INFO = 0x00800000;
/**
 * Windows auth through a virtual proxy, Qlik's way: the proxy redirects to its login module,
 * which runs NTLM (Type1 → Type2 → Type3) on one keep-alive connection and then redirects back
 * with a qlikTicket that the client redeems for the session cookie. NTLMv2 only.
 */
function ntlmAuth(credentials, site) {
    const who = credentials.domain ? `${credentials.domain}\\${credentials.user}` : credentials.user;
    const session = new ProxySession(site.log);
    let signIns = 0;
    /** Signs in at the login module; answers the redeemed ticket's answer when it is the request's own. */
    const signIn = async (context) => {
        session.clear();
        // A sign-in always starts with a GET: the redirect dance would turn a POST into a GET.
        const login = context.method === 'GET' ? context.answer : await context.get('/qrs/about');
        if (loginModule(login) !== 'windows')
            throw loginError(login, 'ntlm', site);
        const forwardProxy = (0,lib/* getProxyUrl */.s_)(site.url.href);
        if (forwardProxy) {
            // NTLM authenticates one TCP connection; the proxy tunnel is not kept between its messages,
            // and a failed attempt can count against the account's lockout threshold.
            throw new errors/* AuthError */.lR(`NTLM cannot go through the forward proxy ${new URL(forwardProxy).host} (from HTTPS_PROXY): NTLM authenticates one TCP connection and the tunnel is not kept between its messages. Put the Qlik host in NO_PROXY (NO_PROXY: ${site.url.hostname}), or use JWT or header auth through the proxy.`);
        }
        if (signIns > 0)
            site.log.info('The Qlik proxy session expired: signing in again.');
        signIns++;
        const answer = await handshake(sameOrigin(login.headers.location, site), context.openConnection, credentials, who, site);
        session.receive(answer);
        const location = answer.headers.location;
        let ticket;
        if (location && /[?&]qlikTicket=/i.test(location)) {
            // Redeem the ticket: the proxy answers it with the session cookie.
            const url = sameOrigin(location, site);
            const response = await context.request(url, { 'X-Qlik-Xrfkey': url.searchParams.get('xrfkey') ?? newXrfkey(), Accept: 'application/json' });
            session.receive(response);
            ticket = { url, response };
        }
        if (!session.active) {
            throw new errors/* AuthError */.lR(`The Windows sign-in succeeded but the proxy set no session cookie (it redirected to ${location ? withoutQuery(location) : 'nowhere'}).`);
        }
        printUntrusted(site.log, `Signed in through the proxy; session cookie ${session.names().join(', ')}.`);
        // Redeeming the ticket replays the GET that met the login redirect: its answer is that GET's answer.
        const replayed = ticket &&
            context.method === 'GET' &&
            !context.streamed &&
            ticket.url.pathname === context.url.pathname &&
            !isRedirect(ticket.response.status) &&
            ticket.response.status !== 401;
        return replayed ? ticket.response : undefined;
    };
    return {
        description: `Windows/NTLM (${who})`,
        clientTls: {},
        prepare: () => ({ headers: session.header(), session: session.active }),
        receive: response => session.receive(response),
        // Without a session (or once it expired) the proxy sends every request to its login module.
        expired: (response, sentWithSession) => lostAfterFailover(response, sentWithSession) || loginModule(response) !== undefined,
        renew: signIn,
        refusalHint: status => status === 401 ? `Windows sign-in of ${who} refused: check the password, that the account is enabled, and the NetBIOS domain (DOMAIN\\user).` : undefined,
        redirectError: response => loginRedirectError(response, 'ntlm', site),
        htmlHint: PROXY_HTML_HINT
    };
}
async function handshake(loginUrl, openConnection, credentials, who, site) {
    const url = new URL(loginUrl);
    if (!url.searchParams.get('xrfkey'))
        url.searchParams.set('xrfkey', newXrfkey());
    const leg = async (connection, authorization) => {
        const response = await connection.request('GET', url.href, {
            'X-Qlik-Xrfkey': url.searchParams.get('xrfkey'),
            ...(authorization ? { Authorization: authorization } : {})
        });
        throwIfBusy(response, url);
        return response;
    };
    // httpntlm's message layer, loaded only for a Windows sign-in.
    const { default: ntlm } = await __nccwpck_require__.e(/* import() */ 288).then(__nccwpck_require__.t.bind(__nccwpck_require__, 1288, 19));
    const connection = openConnection();
    try {
        const offer = await leg(connection);
        const schemes = authenticateHeader(offer);
        if (offer.status !== 401 || !schemes.some(s => /^NTLM$/i.test(s))) {
            throw new errors/* AuthError */.lR(`The proxy's Windows login answered ${offer.status} offering ${schemes.join(', ') || 'no authentication scheme'}, not NTLM: enable Windows authentication on the virtual proxy, or use another auth-type.`);
        }
        const challenge = await leg(connection, ntlm.createType1Message({ domain: credentials.domain, workstation: '' }));
        const type2 = parseType2(challenge, (header, onError) => ntlm.parseType2Message(header, onError));
        const answer = await leg(connection, ntlm.createType3Message(type2, { username: credentials.user, password: credentials.password, domain: credentials.domain, workstation: '' }));
        if (answer.status === 401) {
            const moved = answer.socket !== challenge.socket ? ' The connection changed between the NTLM messages (a forward proxy in between? put the Qlik host in NO_PROXY).' : '';
            throw new errors/* AuthError */.lR(`The proxy refused the Windows sign-in of ${who} (401 after the NTLM handshake). Check the password, that the account is enabled and not locked, and the domain: write DOMAIN\\user with the NetBIOS domain name.${moved}`);
        }
        if (!isRedirect(answer.status)) {
            throw new errors/* AuthError */.lR(`The proxy answered the NTLM handshake with ${answer.status} instead of redirecting back with a ticket.`);
        }
        maskTicket(site.log, answer.headers.location);
        return answer;
    }
    finally {
        connection.dispose();
    }
}
function authenticateHeader(response) {
    const header = response.headers['www-authenticate'];
    const values = Array.isArray(header) ? header : header ? [header] : [];
    return values
        .flatMap(value => value.split(','))
        .map(value => value.trim())
        .filter(Boolean);
}
/** The Type2 challenge; refused when answering it would take NTLMv1. */
function parseType2(response, parse) {
    const header = authenticateHeader(response).find(value => /^NTLM \S+/i.test(value));
    if (response.status !== 401 || !header) {
        throw new errors/* AuthError */.lR(`The proxy answered the NTLM Type1 message with ${response.status} and no NTLM challenge.`);
    }
    let failure;
    const type2 = parse(header, error => (failure = error));
    if (!type2)
        throw new errors/* AuthError */.lR(`The proxy's NTLM challenge does not parse: ${failure?.message ?? 'unknown error'}.`);
    // httpntlm falls back to NTLMv1 without extended session security and target info: never send that.
    if (!(type2.negotiateFlags & NEGOTIATE_EXTENDED_SESSION_SECURITY) || !(type2.negotiateFlags & NEGOTIATE_TARGET_INFO) || !type2.targetInfo?.length) {
        throw new errors/* AuthError */.lR('The server offers only NTLMv1 (its challenge has no extended session security or target info). NTLMv1 is refused: it is broken and hardened domains forbid it. Ask the Qlik admins to allow NTLMv2 (LmCompatibilityLevel 3 or higher).');
    }
    return type2;
}

;// CONCATENATED MODULE: ./src/auth/index.ts




/** Every auth-type, one line each; messages list them in this order. */
const METHODS = {
    ntlm: ntlmMethod,
    jwt: jwtMethod,
    certificate: certificateMethod,
    header: headerMethod
};
/** The registry by type, each method typed with its own settings (so that `create` needs no cast). */
const BY_TYPE = METHODS;
const AUTH_TYPES = Object.keys(METHODS);
/** Reads the inputs of auth-type `type`. */
function readAuth(type, inputs) {
    return BY_TYPE[type].read(inputs);
}
/** The Qlik user the calls run as (see AuthMethod.user). */
function authUser(settings) {
    const method = BY_TYPE[settings.type];
    return method.user(settings);
}
/** The sign-in strategy for these settings. */
async function createAuthenticator(settings, site) {
    const method = BY_TYPE[settings.type];
    return method.create(settings, site);
}

// EXTERNAL MODULE: ./src/util/text.ts
var util_text = __nccwpck_require__(9997);
// EXTERNAL MODULE: ./src/engine/errors.ts
var engine_errors = __nccwpck_require__(7679);
;// CONCATENATED MODULE: ./src/engine/connector.ts





/**
 * Opens apps in the engine, one session (one WebSocket) per app, signed in as the QRS calls are: the
 * proxy's session cookie (NTLM: the cookie of the run's one handshake), the JWT bearer or the header
 * until a cookie exists, or the client certificate with X-Qlik-User on the engine port.
 */
class EngineConnector {
    site;
    sessions = new Set();
    constructor(site) {
        this.site = site;
    }
    /** The app's URL: `<engine-url>/app/<appId>`. */
    appUrl(appId) {
        return new URL(`${this.site.url.href.replace(/\/+$/, '')}/app/${encodeURIComponent(appId)}`);
    }
    async open(app, options) {
        const { auth, log } = this.site;
        const name = `'${app.name ?? app.id}'`;
        const url = this.appUrl(app.id);
        // enigma.js with its schema and ws load only when an app is opened (engine mode, expect-rows): not at every start.
        const [{ EngineSession }, { openSocket }] = await Promise.all([Promise.all(/* import() */[__nccwpck_require__.e(100), __nccwpck_require__.e(816)]).then(__nccwpck_require__.bind(__nccwpck_require__, 6816)), Promise.all(/* import() */[__nccwpck_require__.e(977), __nccwpck_require__.e(901)]).then(__nccwpck_require__.bind(__nccwpck_require__, 5901))]);
        for (let attempt = 0;; attempt++) {
            options.signal?.throwIfAborted();
            const upgrade = {};
            const sent = auth.prepare();
            let state = '';
            let socket;
            const cut = () => socket?.terminate();
            options.signal?.addEventListener('abort', cut);
            // ws's handshake timeout is an idle timer: an upgrade answer that drips would never end. Bounded whole, as a request is.
            let late = false;
            const upgradeTimer = setTimeout(() => ((late = true), cut()), this.site.requestTimeoutMs);
            try {
                const session = await EngineSession.open({
                    url: url.href,
                    appId: app.id,
                    app: name,
                    noData: options.noData,
                    createSocket: () => (socket = openSocket(url, { serverTls: this.site.tls, clientTls: auth.clientTls, headers: { 'User-Agent': this.site.userAgent, ...sent.headers }, timeoutMs: this.site.requestTimeoutMs }, upgrade)),
                    openTimeoutMs: options.openTimeoutMs,
                    limits: { requestTimeoutMs: this.site.requestTimeoutMs },
                    log,
                    onConnected: value => (state = value),
                    opened: () => {
                        clearTimeout(upgradeTimer);
                        // The 101 of a JWT or header upgrade may carry a new proxy session's cookie: kept (and masked) like an HTTP answer's.
                        if (upgrade.answer)
                            auth.receive(upgrade.answer);
                    }
                });
                this.sessions.add(session);
                log.debug(`engine session open on ${url.host} for app ${app.id}${options.noData ? ' (no data)' : ''}`);
                return session;
            }
            catch (error) {
                if (options.signal?.aborted)
                    throw options.signal.reason;
                if (late && !upgrade.refusal) {
                    throw new errors/* ConnectionError */.Rc(`The engine at ${url.host} did not complete the WebSocket upgrade for app ${name} within ${Math.round(this.site.requestTimeoutMs / 1000)} s (request-timeout).`, true);
                }
                if (upgrade.refusal && attempt === 0 && auth.expired(upgrade.refusal, sent.session)) {
                    // The session cookie expired (or there was none yet): one QRS call signs in again, then one more try.
                    printUntrusted(log, `The engine refused the proxy session (${upgrade.refusal.status}): signing in again through the QRS.`);
                    await this.site.refresh();
                    continue;
                }
                throw this.explain(error, upgrade.refusal, state, name, url);
            }
            finally {
                clearTimeout(upgradeTimer);
                options.signal?.removeEventListener('abort', cut);
            }
        }
    }
    /** Closes every session still open (the step's end). */
    async dispose() {
        await Promise.all([...this.sessions].map(session => session.close()));
        this.sessions.clear();
    }
    /** Why the app did not open, in words a user can act on. */
    explain(error, refusal, state, name, url) {
        const { auth } = this.site;
        if (state && state !== 'SESSION_CREATED' && state !== 'SESSION_ATTACHED') {
            return new errors/* EngineError */.NJ(`The engine refused the session for app ${name}: ${(0,util_text/* excerpt */.Kb)(state, 80)}${/LICENSE/i.test(state) ? ' (the user has no license to use apps: QMC > License management)' : ''}.`);
        }
        if (refusal) {
            const where = `${url.host}${url.pathname.replace(/\/app\/.*$/, '')}`;
            const said = (0,util_text/* excerpt */.Kb)(refusal.body, 200);
            if (refusal.status >= 300 && refusal.status < 400) {
                const explained = auth.redirectError(refusal);
                if (explained)
                    return explained;
            }
            const hint = refusal.status === 404
                ? ' Nothing serves /app/<id> there: engine-url must be the engine (wss://host:4747) or a virtual proxy (wss://host/prefix).'
                : (auth.refusalHint(refusal.status, refusal.body) ?? '');
            return new errors/* EngineError */.NJ(`The engine at ${where} refused the WebSocket for app ${name}: ${refusal.status}${said ? ` ${said}` : ''}.${hint ? ` ${hint.trim()}` : ''}`);
        }
        if (error instanceof errors/* EngineError */.NJ || error instanceof errors/* ConnectionError */.Rc)
            return error;
        // ws's error event carries the socket's error (enigma.js rejects the open with the event).
        const cause = error?.error;
        if (typeof cause?.message === 'string') {
            const described = describeConnectionError(cause, url);
            if (cause.code === 'ECONNREFUSED') {
                return new errors/* ConnectionError */.Rc(`Nothing accepts connections at ${url.host} (ECONNREFUSED): the engine port is closed to the runner (a firewall), or engine-url is wrong. Open the port, or reach the engine through a virtual proxy (engine-url: wss://host/prefix).`, true);
            }
            return described;
        }
        return (0,engine_errors/* engineError */.v)('the WebSocket', name, error);
    }
}

;// CONCATENATED MODULE: ./src/qrs/filter.ts
/**
 * QRS filter literals. Inside quotes the QRS escapes `'` as `\'` and `\` as `\\`;
 * OData's doubled quote is rejected with "Cannot parse the expression".
 * The whole filter is URL-encoded later by the client (a raw `&` or `#` would cut the query).
 */
function quote(value) {
    return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}
/** `field eq 'text'`. GUIDs go unquoted in QRS filters; use `eqGuid` for them. */
function eqText(field, value) {
    return `${field} eq ${quote(value)}`;
}
function eqGuid(field, guid) {
    if (!/^[0-9a-f-]{36}$/i.test(guid))
        throw new Error(`not a GUID: ${guid}`);
    return `${field} eq ${guid}`;
}
/**
 * A request target (path, encoded query, xrfkey) stays under about 2 KB, which every common front end
 * passes (docs/qrs-protocol.md section 4): a batched filter keeps to this, the path and the other
 * parameters taking the rest.
 */
const FILTER_BUDGET_BYTES = 1_536;
/**
 * `a or b or c ...` of the items' terms, split into as few filters as keep each under `budget` bytes once
 * URL-encoded (one request per filter), each with the items it covers. A single term over the budget goes
 * alone (the server then says what it thinks of it).
 */
function chunks(items, term, budget = FILTER_BUDGET_BYTES) {
    const out = [];
    const joiner = encodeURIComponent(' or ').length;
    let terms = [];
    let covered = [];
    let bytes = 0;
    for (const item of items) {
        const text = term(item);
        const cost = encodeURIComponent(text).length;
        if (terms.length > 0 && bytes + joiner + cost > budget) {
            out.push({ filter: terms.join(' or '), items: covered });
            terms = [];
            covered = [];
            bytes = 0;
        }
        bytes += (terms.length > 0 ? joiner : 0) + cost;
        terms.push(text);
        covered.push(item);
    }
    if (terms.length > 0)
        out.push({ filter: terms.join(' or '), items: covered });
    return out;
}

// EXTERNAL MODULE: ./src/qrs/shape.ts
var qrs_shape = __nccwpck_require__(5797);
;// CONCATENATED MODULE: ./src/qrs/answers.ts

/**
 * What each QRS answer must look like, for the fields the action reads (types.ts); the client checks every
 * answer against its shape where it enters, so nothing below ever meets a status that is a string or a
 * name that is an object.
 */
/** An id the answer may leave out (absent, null or empty). */
const someId = (0,qrs_shape/* optional */.lq)(qrs_shape/* guid */.Os, true);
const named = (0,qrs_shape/* record */.g1)({ id: qrs_shape/* guid */.Os, name: (0,qrs_shape/* optional */.lq)(qrs_shape/* text */.Qq) });
const appRef = named;
const privileges = (0,qrs_shape/* optional */.lq)((0,qrs_shape/* list */.p_)(qrs_shape/* text */.Qq));
const lastExecutionResult = (0,qrs_shape/* record */.g1)({
    id: someId,
    status: (0,qrs_shape/* optional */.lq)(qrs_shape/* whole */.WQ),
    startTime: (0,qrs_shape/* optional */.lq)(qrs_shape/* text */.Qq),
    stopTime: (0,qrs_shape/* optional */.lq)(qrs_shape/* text */.Qq),
    duration: (0,qrs_shape/* optional */.lq)(qrs_shape/* amount */.vj)
});
const reloadTask = (0,qrs_shape/* record */.g1)({
    id: qrs_shape/* guid */.Os,
    name: qrs_shape/* text */.Qq,
    enabled: (0,qrs_shape/* optional */.lq)(qrs_shape/* flag */.Jt),
    taskType: (0,qrs_shape/* optional */.lq)(qrs_shape/* whole */.WQ),
    maxRetries: (0,qrs_shape/* optional */.lq)(qrs_shape/* whole */.WQ),
    app: (0,qrs_shape/* optional */.lq)(appRef),
    tags: (0,qrs_shape/* optional */.lq)((0,qrs_shape/* list */.p_)((0,qrs_shape/* record */.g1)({ id: someId, name: qrs_shape/* text */.Qq }))),
    customProperties: (0,qrs_shape/* optional */.lq)((0,qrs_shape/* list */.p_)((0,qrs_shape/* record */.g1)({
        value: qrs_shape/* text */.Qq,
        definition: (0,qrs_shape/* optional */.lq)((0,qrs_shape/* record */.g1)({ id: someId, name: qrs_shape/* text */.Qq }))
    }))),
    privileges,
    operational: (0,qrs_shape/* optional */.lq)((0,qrs_shape/* record */.g1)({ lastExecutionResult: (0,qrs_shape/* optional */.lq)(lastExecutionResult) }))
});
const executionResult = (0,qrs_shape/* record */.g1)({
    id: qrs_shape/* guid */.Os,
    taskID: someId,
    executionID: someId,
    appID: someId,
    executingNodeName: (0,qrs_shape/* optional */.lq)(qrs_shape/* text */.Qq),
    status: qrs_shape/* whole */.WQ,
    createdDate: (0,qrs_shape/* optional */.lq)(qrs_shape/* text */.Qq),
    startTime: (0,qrs_shape/* optional */.lq)(qrs_shape/* text */.Qq),
    stopTime: (0,qrs_shape/* optional */.lq)(qrs_shape/* text */.Qq),
    duration: (0,qrs_shape/* optional */.lq)(qrs_shape/* amount */.vj),
    fileReferenceID: someId,
    scriptLogAvailable: (0,qrs_shape/* optional */.lq)(qrs_shape/* flag */.Jt),
    details: (0,qrs_shape/* optional */.lq)((0,qrs_shape/* list */.p_)((0,qrs_shape/* record */.g1)({
        detailsType: (0,qrs_shape/* optional */.lq)(qrs_shape/* whole */.WQ),
        message: (0,qrs_shape/* optional */.lq)(qrs_shape/* text */.Qq),
        detailCreatedDate: (0,qrs_shape/* optional */.lq)(qrs_shape/* text */.Qq)
    })))
});
const executionSession = (0,qrs_shape/* record */.g1)({
    id: qrs_shape/* guid */.Os,
    executingNode: (0,qrs_shape/* optional */.lq)((0,qrs_shape/* record */.g1)({ id: someId })),
    user: (0,qrs_shape/* optional */.lq)(qrs_shape/* text */.Qq),
    retries: (0,qrs_shape/* optional */.lq)(qrs_shape/* whole */.WQ),
    executionResult: (0,qrs_shape/* optional */.lq)((0,qrs_shape/* record */.g1)({ id: someId, status: (0,qrs_shape/* optional */.lq)(qrs_shape/* whole */.WQ), executingNodeName: (0,qrs_shape/* optional */.lq)(qrs_shape/* text */.Qq) })),
    app: (0,qrs_shape/* optional */.lq)(appRef),
    reloadTask: (0,qrs_shape/* optional */.lq)(named),
    externalProgramTask: (0,qrs_shape/* optional */.lq)(named)
});
const app = (0,qrs_shape/* record */.g1)({
    id: qrs_shape/* guid */.Os,
    name: qrs_shape/* text */.Qq,
    published: (0,qrs_shape/* optional */.lq)(qrs_shape/* flag */.Jt),
    stream: (0,qrs_shape/* optional */.lq)((0,qrs_shape/* record */.g1)({ id: qrs_shape/* guid */.Os, name: qrs_shape/* text */.Qq })),
    owner: (0,qrs_shape/* optional */.lq)((0,qrs_shape/* record */.g1)({ userId: qrs_shape/* text */.Qq, userDirectory: qrs_shape/* text */.Qq, name: (0,qrs_shape/* optional */.lq)(qrs_shape/* text */.Qq) })),
    privileges
});
/** A tag or a custom property definition: only whether any exists is read. */
const namedThing = (0,qrs_shape/* record */.g1)({ id: qrs_shape/* guid */.Os, name: qrs_shape/* text */.Qq });
const about = (0,qrs_shape/* record */.g1)({ buildVersion: (0,qrs_shape/* optional */.lq)(qrs_shape/* text */.Qq), nodeType: (0,qrs_shape/* optional */.lq)(qrs_shape/* whole */.WQ) });
const compositeEvent = (0,qrs_shape/* record */.g1)({
    id: qrs_shape/* guid */.Os,
    name: qrs_shape/* text */.Qq,
    enabled: (0,qrs_shape/* optional */.lq)(qrs_shape/* flag */.Jt),
    timeConstraint: (0,qrs_shape/* optional */.lq)((0,qrs_shape/* record */.g1)({ days: (0,qrs_shape/* optional */.lq)(qrs_shape/* amount */.vj), hours: (0,qrs_shape/* optional */.lq)(qrs_shape/* amount */.vj), minutes: (0,qrs_shape/* optional */.lq)(qrs_shape/* amount */.vj), seconds: (0,qrs_shape/* optional */.lq)(qrs_shape/* amount */.vj) })),
    compositeRules: (0,qrs_shape/* list */.p_)((0,qrs_shape/* record */.g1)({
        ruleState: qrs_shape/* whole */.WQ,
        reloadTask: (0,qrs_shape/* optional */.lq)(named),
        externalProgramTask: (0,qrs_shape/* optional */.lq)(named),
        operational: (0,qrs_shape/* optional */.lq)((0,qrs_shape/* record */.g1)({ timeStamp: (0,qrs_shape/* optional */.lq)(qrs_shape/* text */.Qq), currentState: (0,qrs_shape/* optional */.lq)(qrs_shape/* whole */.WQ) }))
    })),
    operational: (0,qrs_shape/* optional */.lq)((0,qrs_shape/* record */.g1)({ timesTriggered: (0,qrs_shape/* optional */.lq)(qrs_shape/* whole */.WQ) })),
    reloadTask: (0,qrs_shape/* optional */.lq)(named),
    externalProgramTask: (0,qrs_shape/* optional */.lq)(named)
});
/** `{"value": "<GUID>"}`: what a start answers (the empty GUID when nothing started). */
/** A start's execution id: a GUID, or empty when nothing started (reload/refused.ts tells the two apart; absent or null: not said). */
const startAnswer = (0,qrs_shape/* record */.g1)({ value: (0,qrs_shape/* optional */.lq)((0,qrs_shape/* either */.gP)(qrs_shape/* guid */.Os, (0,qrs_shape/* matching */.wC)(/^$/, 'empty'), 'a GUID')) });
/** A script log's download reference goes into the download's path: one segment of plain characters, never `..`. */
const reference = (0,qrs_shape/* matching */.wC)(/^[A-Za-z0-9_~-][A-Za-z0-9._~-]{0,199}$/, 'a download reference');
const referenceAnswer = (0,qrs_shape/* record */.g1)({ value: (0,qrs_shape/* optional */.lq)(reference, true) });
/** A notification handle: the QRS answers it as a JSON string (or, on some versions, as `{"value": ...}`). */
const handleAnswer = (0,qrs_shape/* either */.gP)(qrs_shape/* text */.Qq, (0,qrs_shape/* record */.g1)({ value: (0,qrs_shape/* optional */.lq)(qrs_shape/* text */.Qq) }), 'a handle');

;// CONCATENATED MODULE: ./src/qrs/types.ts
/** The parts of QRS entities the action reads. Real answers carry many more fields: they are ignored. */
const EMPTY_GUID = '00000000-0000-0000-0000-000000000000';
/** QRS TaskType: 0 Reload, 1 ExternalProgram, 2 UserSync (only the first two are started here). */
const TASK_TYPE = { reload: 0, externalProgram: 1 };
function isExternalProgram(task) {
    return task.taskType === TASK_TYPE.externalProgram;
}
/** The external program task list leaves taskType out on some versions: mark the tasks as such. */
function asExternalPrograms(tasks) {
    return tasks.map(task => ({ ...task, taskType: task.taskType ?? TASK_TYPE.externalProgram }));
}

// EXTERNAL MODULE: ./src/util/ids.ts
var util_ids = __nccwpck_require__(4598);
;// CONCATENATED MODULE: ./src/qrs/api.ts






const tasks = (0,qrs_shape/* list */.p_)(reloadTask);
const results = (0,qrs_shape/* list */.p_)(executionResult);
const sessions = (0,qrs_shape/* list */.p_)(executionSession);
/** Ids as the QRS compares them: case-insensitively. */
/**
 * The QRS calls the action makes, by name. Everything else goes through the client. Every answer is
 * checked against its shape (answers.ts) where it enters, and no identity the server echoes is trusted:
 * a lookup by id keeps only what has that id, a list filtered by a task, app or execution only what
 * belongs to it (a proxy that drops `filter` answers everything).
 */
class QrsApi {
    client;
    constructor(client) {
        this.client = client;
    }
    /** The same API whose calls use `call` (see QrsClient.with): the run's calls are cut by a cancellation. */
    with(call) {
        return new QrsApi(this.client.with(call));
    }
    /** The same API whose requests end by `deadline` (clock.now() terms): a wait's reads (reload/watch.ts ExecutionReader). */
    until(deadline) {
        return this.with({ deadline });
    }
    /** The same API with no abort signal: for clean-up that must go out after a cancellation too (an unsubscribe). */
    detached() {
        return new QrsApi(this.client.with({ signal: undefined }));
    }
    about() {
        return this.client.get('/qrs/about', about);
    }
    /** `privileges`: ask for what the signed-in user may do with each (`?privileges=true`). */
    reloadTasks(filter, privileges = false) {
        return this.client.get('/qrs/reloadtask/full', tasks, { filter, ...(privileges ? { privileges: 'true' } : {}) });
    }
    externalProgramTasks(filter, privileges = false) {
        return this.optionalList(this.client.get('/qrs/externalprogramtask/full', tasks, { filter, ...(privileges ? { privileges: 'true' } : {}) }));
    }
    async app(id, privileges = false) {
        const path = `/qrs/app/${id}`;
        return this.itself('GET', path, id, await this.client.getIfExists(path, app, privileges ? { privileges: 'true' } : {}));
    }
    apps(filter) {
        return this.client.get('/qrs/app/full', (0,qrs_shape/* list */.p_)(app), { filter });
    }
    /** Condensed tags / custom property definitions: only to tell "does not exist" from "nothing carries it". */
    tags(filter) {
        return this.optionalList(this.client.get('/qrs/tag', (0,qrs_shape/* list */.p_)(namedThing), { filter }));
    }
    customPropertyDefinitions(filter) {
        return this.optionalList(this.client.get('/qrs/custompropertydefinition', (0,qrs_shape/* list */.p_)(namedThing), { filter }));
    }
    /**
     * POST /qrs/task/{id}/start/synchronous: answers once the task has started, with the execution session id.
     * An answer of the wrong shape is an UnexpectedAnswer: whether the task started is then not known.
     */
    async startTask(taskId) {
        const answer = await this.client.post(`/qrs/task/${taskId}/start/synchronous`, { shape: (0,qrs_shape/* optional */.lq)(startAnswer) });
        return answer.json?.value;
    }
    /** QMC's "Reload now": 204 and no handle; the execution must be found afterwards. */
    async reloadApp(appId) {
        await this.client.post(`/qrs/app/${appId}/reload`);
    }
    /** The running execution, or undefined once it has ended (the QRS deletes the session: 404). */
    async executionSession(id) {
        const path = `/qrs/executionsession/${id}`;
        return this.itself('GET', path, id, await this.client.getIfExists(path, executionSession));
    }
    async executionResult(id) {
        const path = `/qrs/executionresult/${id}`;
        return this.itself('GET', path, id, await this.client.getIfExists(path, executionResult));
    }
    /** One result per attempt of the execution; several when the task retried. */
    async executionResults(executionId) {
        const found = await this.client.get('/qrs/executionresult/full', results, { filter: eqGuid('ExecutionId', executionId) });
        return found.filter(result => (0,util_ids/* sameText */.QV)(result.executionID, executionId));
    }
    /**
     * The sessions of these executions that still run (an ended one is missing: the QRS deletes it), in
     * as few requests as the URL budget allows (`id eq a or id eq b ...`, docs/qrs-protocol.md section 4).
     * Only the sessions of the executions asked for are taken: one the server adds is nobody's.
     */
    async executionSessionsOf(ids) {
        const found = await this.chunked(ids, id => eqGuid('id', id), filter => this.client.get('/qrs/executionsession/full', sessions, { filter }));
        return found.filter(session => ids.some(id => (0,util_ids/* sameText */.QV)(session.id, id)));
    }
    /** Every attempt's result of these executions, read like executionSessionsOf: only results of those asked for. */
    async executionResultsOf(ids) {
        const found = await this.chunked(ids, id => eqGuid('ExecutionId', id), filter => this.client.get('/qrs/executionresult/full', results, { filter }));
        return found.filter(result => ids.some(id => (0,util_ids/* sameText */.QV)(result.executionID, id)));
    }
    /** The items' terms or-ed in chunks under the URL budget, one request each. */
    async chunked(items, term, list) {
        const all = [];
        for (const chunk of chunks(items, term))
            all.push(...(await list(chunk.filter)));
        return all;
    }
    /**
     * Executions of the task running now; NotKnown when the server (or a proxy rule) does not serve
     * the list (404, 400): then whether it runs is not known, which is not the same as "not running".
     */
    async taskExecutionSessions(task) {
        const external = isExternalProgram(task);
        const found = await this.runningSessions(eqGuid(external ? 'externalProgramTask.id' : 'reloadTask.id', task.id));
        return 'notKnown' in found ? found : found.filter(session => (0,util_ids/* sameText */.QV)((external ? session.externalProgramTask : session.reloadTask)?.id, task.id));
    }
    /** The executions of any task of the app running now (an engine reload must not run beside one); NotKnown as above. */
    async appRunningSessions(appId) {
        const found = await this.runningSessions(eqGuid('app.id', appId));
        return 'notKnown' in found ? found : found.filter(session => (0,util_ids/* sameText */.QV)(session.app?.id, appId));
    }
    async runningSessions(filter) {
        try {
            return await this.client.get('/qrs/executionsession/full', sessions, { filter });
        }
        catch (error) {
            if (error instanceof errors/* QrsError */.Ds && (error.status === 404 || error.status === 400)) {
                return { notKnown: `${error.method} ${error.path} answered ${error.status}` };
            }
            throw error;
        }
    }
    /** Stops asynchronously: the execution goes AbortInitiated, Aborting, Aborted. */
    async stopTask(taskId) {
        await this.client.post(`/qrs/task/${taskId}/stop`);
    }
    /**
     * The task's successful runs that started at or after `sinceIso`, newest first. Condensed: the times and
     * durations are all a forecast needs (the filter still sees the full entity's TaskID).
     */
    recentRuns(taskId, sinceIso) {
        const filter = `${eqGuid('TaskID', taskId)} and Status eq 7 and StartTime ge ${quote(sinceIso)}`;
        // Condensed results do not name their task: only the forecast rests on them.
        return this.client.get('/qrs/executionresult', results, { filter, orderby: 'StartTime desc' });
    }
    /**
     * `recentRuns` of several tasks, each from its own start time, in as few requests as the URL budget
     * allows. Several need the full entities: the condensed ones do not name their task, and only results
     * of the tasks asked for are taken. A server that refuses the batched filter (400, 404) or leaves the
     * task out gets one read per task.
     */
    async recentRunsOf(spans) {
        const each = async () => {
            const all = [];
            for (const { taskId, sinceIso } of spans) {
                // A condensed result that names a task must name this one.
                const runs = (await this.recentRuns(taskId, sinceIso)).filter(result => result.taskID === undefined || (0,util_ids/* sameText */.QV)(result.taskID, taskId));
                all.push(...runs.map(result => ({ ...result, taskID: taskId })));
            }
            return all;
        };
        if (spans.length < 2)
            return each();
        let all;
        try {
            all = await this.chunked(spans, ({ taskId, sinceIso }) => `(${eqGuid('TaskID', taskId)} and StartTime ge ${quote(sinceIso)})`, filter => this.client.get('/qrs/executionresult/full', results, { filter: `Status eq 7 and (${filter})`, orderby: 'StartTime desc' }));
        }
        catch (error) {
            if (!(error instanceof errors/* QrsError */.Ds && (error.status === 400 || error.status === 404)))
                throw error;
            return each();
        }
        if (!all.every(result => result.taskID))
            return each();
        return all.filter(result => spans.some(({ taskId }) => (0,util_ids/* sameText */.QV)(result.taskID, taskId)));
    }
    async taskExecutionResults(taskId) {
        const found = await this.client.get('/qrs/executionresult/full', results, { filter: eqGuid('taskID', taskId) });
        return found.filter(result => (0,util_ids/* sameText */.QV)(result.taskID, taskId));
    }
    /** Every task trigger (composite event); task chains are read from their rules. */
    compositeEvents() {
        return this.client.get('/qrs/compositeevent/full', (0,qrs_shape/* list */.p_)(compositeEvent));
    }
    /** One trigger, read again for its rules' current state; undefined when it is gone. */
    async compositeEvent(id) {
        const path = `/qrs/compositeevent/${id}`;
        return this.itself('GET', path, id, await this.client.getIfExists(path, compositeEvent));
    }
    async appExecutionSessions(appId) {
        const found = await this.optionalList(this.client.get('/qrs/executionsession/full', sessions, { filter: eqGuid('app.id', appId) }));
        return found.filter(session => (0,util_ids/* sameText */.QV)(session.app?.id, appId));
    }
    async appExecutionResults(appId) {
        const found = await this.optionalList(this.client.get('/qrs/executionresult/full', results, { filter: eqGuid('appID', appId) }));
        return found.filter(result => (0,util_ids/* sameText */.QV)(result.appID, appId));
    }
    /**
     * Asks the QRS to call `callbackUrl` when the status of a result that `filter` matches changes
     * (Notification API: Updates of `status` only, not the log reference or other fields; the body is the
     * URL as a JSON string, the answer a handle).
     */
    async subscribeToResults(filter, callbackUrl) {
        const answer = await this.client.post('/qrs/notification', {
            query: { name: 'ExecutionResult', filter, changetype: '2', propertyname: 'status' },
            body: callbackUrl,
            shape: (0,qrs_shape/* optional */.lq)(handleAnswer)
        });
        const handle = typeof answer.json === 'string' ? answer.json : answer.json?.value;
        if (!handle)
            throw new Error('the QRS answered the subscription without a handle');
        return handle;
    }
    unsubscribe(handle) {
        return this.client.delete('/qrs/notification', { handle });
    }
    /**
     * A download reference for a result's script log: the newer route first (November 2022 release,
     * marked experimental), then the older one (deprecated, still on most sites). Undefined when
     * neither has a log for it.
     */
    async scriptLogReference(taskId, result) {
        // A server without the newer route may answer it with anything (404, 400, 405, 500): fall back on any refusal.
        const current = await this.client.getIfExists(`/qrs/reloadtask/${taskId}/scriptlogfile`, referenceAnswer, { executionResultId: result.id }).catch((error) => {
            if (!(error instanceof errors/* QrsError */.Ds))
                throw error;
            this.client.log.debug(`${error.method} ${error.path} answered ${error.status}: trying the older script log route.`);
            return undefined;
        });
        if (current?.value)
            return current.value;
        if (!result.fileReferenceID)
            return undefined;
        const legacy = await this.client.getIfExists(`/qrs/reloadtask/${taskId}/scriptlog`, referenceAnswer, { fileReferenceId: result.fileReferenceID });
        return legacy?.value || undefined;
    }
    /** Streams a script log; 404 right after a run means "not there yet". */
    downloadScriptLog(reference, sink) {
        return this.client.download(`/qrs/download/reloadtask/${encodeURIComponent(reference)}/scriptlog.txt`, sink);
    }
    /** An entity read by its id must be that one: a proxy or a server that answers another is answering something unexpected. */
    itself(method, path, id, found) {
        if (found && !(0,util_ids/* sameText */.QV)(found.id, id))
            throw new errors/* WrongFieldsAnswer */.RE(method, path, 200, `id is ${found.id}, not the ${id} asked for`);
        return found;
    }
    /**
     * Lists the action can do without: a server (or proxy rule) that does not serve the route or the
     * filter (404, 400) is taken as "none", so a missing extra never stops a reload.
     */
    async optionalList(request) {
        try {
            return await request;
        }
        catch (error) {
            if (error instanceof errors/* QrsError */.Ds && (error.status === 404 || error.status === 400)) {
                this.client.log.debug(`${error.method} ${error.path} answered ${error.status}: taken as an empty list.`);
                return [];
            }
            throw error;
        }
    }
}

;// CONCATENATED MODULE: ./src/util/poll.ts
/**
 * The one loop of the action that looks at something again and again with sleeps in between: the
 * client's retries, riding out an outage, the wait for an execution, stops, starts, the chain and the
 * script log. Each caller gives what to read, when it is done, how long to wait before the next look,
 * and the deadline; every gap is slept through the clock (tests pass a fake) and ends on a cancellation.
 */
async function poll_poll(options) {
    const { clock, signal, deadline = Infinity } = options;
    const sleep = options.sleep ?? ((ms, abort) => clock.sleep(ms, abort));
    const pause = (ms) => sleep(Math.max(0, Math.min(ms, deadline - clock.now())), signal);
    if (options.firstGap !== undefined)
        await pause(options.firstGap);
    for (let attempt = 0;; attempt++) {
        signal?.throwIfAborted();
        let seen;
        try {
            const value = await options.read(attempt);
            if (options.done?.(value, attempt) ?? true)
                return { done: true, value, attempts: attempt + 1 };
            seen = { value };
        }
        catch (error) {
            if (signal?.aborted)
                throw signal.reason;
            if (!options.retry?.(error, attempt))
                throw error;
            seen = { error };
        }
        if (clock.now() >= deadline)
            return { done: false, last: seen, attempts: attempt + 1, expired: true };
        const gap = options.next(seen, attempt);
        if (gap === undefined)
            return { done: false, last: seen, attempts: attempt + 1, expired: false };
        await pause(gap);
    }
}
/**
 * A poll that ends with the first answer (a retry loop): that answer. Failures are retried as `retry`
 * says; when the deadline (or `next`) ends the retries, the last failure is thrown.
 */
async function untilAnswered(options) {
    const outcome = await poll_poll(options);
    if (outcome.done)
        return outcome.value;
    throw failure(outcome.last);
}
/** The error the last look failed with, if it failed. */
function failure(seen) {
    return 'error' in seen ? seen.error : undefined;
}
/** The answer of the last look, if it answered. */
function answer(seen) {
    return 'value' in seen ? seen.value : undefined;
}

;// CONCATENATED MODULE: ./src/qrs/hints.ts
/** What a user can do about an answer the QRS (or something in front of it) gave. */
function looksLikeHtml(contentType, body) {
    return /html/i.test(contentType) || /^\s*</.test(body);
}
/** What a user can do about a status, whatever the auth type; the auth module explains refusals. */
function hintForStatus(status, body) {
    if (status === 403 && /XSRF/i.test(body)) {
        return 'The xrfkey sent in the query and the X-Qlik-Xrfkey header did not reach the server intact: a proxy in between may rewrite query strings.';
    }
    if (status === 403 && /inactive/i.test(body)) {
        return 'The Qlik user is inactive: activate it in the QMC (Users) or use another user.';
    }
    if (status === 400 && looksLikeHtml('', body)) {
        return 'The proxy answered with an error page: check that the virtual proxy is linked to a proxy service (QMC > Virtual proxies > Associated items > Proxies) and that url uses its prefix.';
    }
    if (status === 500 && /Authentication error/i.test(body)) {
        return 'The server lost the session (e.g. after a failover): run the step again.';
    }
    return undefined;
}

;// CONCATENATED MODULE: external "node:timers/promises"
const external_node_timers_promises_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:timers/promises");
;// CONCATENATED MODULE: ./src/util/clock.ts

const systemClock = {
    // Whole milliseconds, as Date.now() gave: durations print as such.
    now: () => Math.floor(performance.now()),
    sleep: async (ms, signal) => {
        try {
            await (0,external_node_timers_promises_namespaceObject.setTimeout)(ms, undefined, { signal });
        }
        catch (error) {
            throw signal?.aborted ? signal.reason : error;
        }
    }
};

;// CONCATENATED MODULE: ./src/qrs/rate.ts
/**
 * A bound on the request rate of one run, whatever the server answers: at most `perSecond` requests a
 * second once `burst` have gone out at once. Every loop has its own floor between looks (retries, polls,
 * wake-ups); this holds even where several of them, or a server that answers everything at once, add up.
 */
class RequestRate {
    clock;
    perSecond;
    burst;
    tokens;
    at;
    constructor(clock, perSecond = 25, burst = 50) {
        this.clock = clock;
        this.perSecond = perSecond;
        this.burst = burst;
        this.tokens = burst;
        this.at = clock.now();
    }
    /** Resolves when this request may go out; each one waiting reserves its turn. */
    async take(signal) {
        const now = this.clock.now();
        this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) * this.perSecond) / 1000);
        this.at = now;
        this.tokens -= 1;
        if (this.tokens < 0)
            await this.clock.sleep(Math.ceil((-this.tokens * 1000) / this.perSecond), signal);
    }
}

;// CONCATENATED MODULE: ./src/qrs/client.ts












const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/** A request that starts at its deadline (a loop's last look) may take this long. */
const LAST_LOOK_MS = 1_000;
const SECURITY_RULE_HINT = "The server accepted this user's earlier calls: its security rules do not allow this one (QMC > Security rules; e.g. the user may read the task but not start or stop it).";
/**
 * JSON over HTTPS to the QRS: xrfkey on every call, the authenticator's headers on it (its session
 * renewed once per request if it expired), typed answers, errors that say what to fix.
 */
class QrsClient {
    options;
    transport;
    base;
    /**
     * Shared by the views: `accepted`, a call already succeeded, so a later 403 is the security rules refusing
     * this call, not the sign-in; `rate`, the bound on the requests of the run.
     */
    shared;
    call;
    constructor(options, parent, call = {}) {
        this.options = options;
        this.base = options.url.origin + options.url.pathname.replace(/\/+$/, '');
        this.transport = parent?.transport ?? this.newTransport();
        this.shared = parent?.shared ?? { accepted: false, rate: new RequestRate(this.clock) };
        this.call = { ...parent?.call, ...call };
    }
    /** The same client (connection, session) whose calls use `call` (a key set to undefined clears it): e.g. aborted on cancel. Dispose the original only. */
    with(call) {
        return new QrsClient(this.options, this, call);
    }
    /** The log this client writes to: the API's calls log through it too. */
    get log() {
        return this.options.log;
    }
    /** GET that must answer 2xx with JSON of this shape. */
    async get(path, shape, query = {}) {
        return (await this.send({ method: 'GET', path, query, shape })).json;
    }
    /** GET where 404 means "not there" rather than an error (an ended execution session). */
    async getIfExists(path, shape, query = {}) {
        const answer = await this.send({ method: 'GET', path, query, shape, accept: [404] });
        return answer.status === 404 ? undefined : answer.json;
    }
    /**
     * GET whose 200 body is streamed into a new `sink()`; answers the status, so a caller can wait
     * and ask again while the server answers 404 (a script log right after the run).
     */
    async download(path, sink) {
        const answer = await this.send({ method: 'GET', path, query: {}, accept: [404], sink });
        return { status: answer.status, bytes: answer.bytes ?? 0, cutShort: answer.cutShort ?? false };
    }
    /**
     * POST, with no body as the QRS start calls expect, or a JSON body; with a shape, its answer checked
     * against it (an empty answer is `undefined`). Never retried: a start must not run twice.
     */
    async post(path, { query = {}, body, shape } = {}) {
        return this.send({ method: 'POST', path, query, shape, body: body === undefined ? undefined : JSON.stringify(body) });
    }
    async delete(path, query = {}) {
        await this.send({ method: 'DELETE', path, query });
    }
    get clock() {
        return this.options.clock ?? systemClock;
    }
    dispose() {
        this.transport.dispose();
    }
    /**
     * What bounds the next request: the cancel signal, and request-timeout (or the call's own limit), cut to
     * what is left before the call's deadline. The loops look once more at their deadline itself (has it
     * ended after all?): that look gets LAST_LOOK_MS, no more.
     */
    limits() {
        const { signal, deadline } = this.call;
        const timeoutMs = Math.min(this.call.timeoutMs ?? Infinity, this.options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS);
        if (deadline === undefined)
            return { signal, timeoutMs };
        return { signal, timeoutMs: Math.min(timeoutMs, Math.max(deadline - this.clock.now(), LAST_LOOK_MS)) };
    }
    newTransport(maxSockets) {
        const { auth, tls, userAgent, requestTimeoutMs } = this.options;
        return new Transport(this.options.url, { userAgent, serverTls: tls, clientTls: auth.clientTls, maxSockets, timeoutMs: requestTimeoutMs });
    }
    /**
     * GETs are retried with capped exponential backoff and jitter (Retry-After wins when the server sends
     * one, never below the backoff's floor). POSTs never are: a start whose answer was lost may still have started.
     */
    async send(request) {
        const { signal, retries = MAX_RETRIES, deadline } = this.call;
        const { method, path } = request;
        let timeouts = 0;
        return untilAnswered({
            clock: this.clock,
            signal,
            deadline,
            read: () => this.sendOnce(request),
            retry: (error, attempt) => method === 'GET' && attempt < retries && isTransient(error) && (!isTimeout(error) || ++timeouts <= MAX_TIMEOUT_RETRIES),
            next: (seen, attempt) => {
                const error = failure(seen);
                const delay = retry_retryDelay(error, attempt, this.options.random);
                printUntrusted(this.options.log, `${method} ${path}: ${(0,util_text/* firstLine */.TM)((0,errors/* errorMessage */.gJ)(error))}; trying again in ${(delay / 1000).toFixed(1)} s (${attempt + 1}/${retries}).`);
                return delay;
            }
        });
    }
    async sendOnce(request) {
        const { auth } = this.options;
        const { method, path, sink } = request;
        let exchange = await this.exchange(request);
        if (auth.expired(exchange.response, exchange.withSession)) {
            // The proxy sent the request to its login module (or dropped an expired session): it never
            // reached the QRS, so signing in and sending it again cannot run anything twice.
            const answer = await auth.renew({
                method,
                url: new URL(`${this.base}${path}`),
                answer: exchange.response,
                streamed: sink !== undefined,
                get: async (loginPath) => (await this.exchange({ method: 'GET', path: loginPath, query: {} })).response,
                request: async (url, headers) => {
                    await this.shared.rate.take(this.call.signal);
                    return this.transport.request('GET', url.href, headers, undefined, this.limits());
                },
                openConnection: () => this.newTransport(1)
            });
            exchange = answer ? { response: answer, withSession: true } : await this.exchange(request);
        }
        if (sink && exchange.response.status === 200)
            return { status: 200, bytes: exchange.bytes, cutShort: exchange.cutShort };
        return this.interpret(request, exchange.response);
    }
    async exchange({ method, path, query, sink, body }) {
        const limits = this.limits();
        await this.shared.rate.take(limits.signal);
        const xrfkey = newXrfkey();
        const auth = this.options.auth.prepare();
        const headers = {
            'X-Qlik-Xrfkey': xrfkey,
            Accept: sink ? '*/*' : 'application/json',
            ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
            ...auth.headers
        };
        const started = performance.now();
        const url = `${this.base}${path}?${encodeQuery({ ...query, xrfkey })}`;
        // A streamed body runs until the call's deadline (a script log of hundreds of MB), else as long as a request may.
        const bodyMs = this.call.deadline === undefined ? limits.timeoutMs : Math.max(0, this.call.deadline - this.clock.now());
        const downloaded = sink ? await this.transport.download(url, headers, sink, { ...limits, bodyMs }) : undefined;
        const response = downloaded ?? (await this.transport.request(method, url, headers, body, limits));
        this.options.auth.receive(response);
        this.options.log.debug(`${method} ${path}${query.filter ? ` filter=${query.filter}` : ''} → ${response.status} in ${Math.round(performance.now() - started)} ms`);
        return { response, withSession: auth.session, bytes: downloaded?.bytes, cutShort: downloaded?.cutShort };
    }
    interpret({ method, path, accept = [], shape }, response) {
        const { status, body } = response;
        if (accept.includes(status))
            return { status };
        if (isRedirect(status)) {
            throw (this.options.auth.redirectError(response) ??
                new errors/* QrsError */.Ds(method, path, status, `redirect to ${response.headers.location ? withoutQuery(response.headers.location) : '(no location)'}`, 'The QRS does not redirect: check url (port 4242 for certificates, the virtual proxy prefix otherwise).'));
        }
        if (status < 200 || status >= 300) {
            const retryAfter = parseRetryAfter(String(response.headers['retry-after'] ?? '') || undefined);
            const refusal = status === 403 && this.shared.accepted ? SECURITY_RULE_HINT : this.options.auth.refusalHint(status, body);
            throw new errors/* QrsError */.Ds(method, path, status, body, hintForStatus(status, body) ?? refusal, retryAfter);
        }
        this.shared.accepted = true;
        // A call that reads no answer (a stop, a reload request) takes whatever came.
        if (!shape)
            return { status };
        if (body.trim() && looksLikeHtml(String(response.headers['content-type'] ?? ''), body)) {
            throw new errors/* UnexpectedAnswer */.M7(method, path, status, `an HTML page (${(0,util_text/* excerpt */.Kb)(body, 100)})`, this.options.auth.htmlHint);
        }
        let json;
        try {
            json = body.trim() ? JSON.parse(body) : undefined;
        }
        catch {
            throw new errors/* UnexpectedAnswer */.M7(method, path, status, `text that is not JSON (${(0,util_text/* excerpt */.Kb)(body, 100)})`);
        }
        try {
            return { status, json: shape(json, '') };
        }
        catch (error) {
            if (error instanceof qrs_shape/* WrongShape */.zq)
                throw new errors/* WrongFieldsAnswer */.RE(method, path, status, error.message);
            throw error;
        }
    }
}
/** encodeURIComponent for every value: a raw `&`, `#` or `+` inside a filter would cut or change it. */
function encodeQuery(query) {
    return Object.entries(query)
        .filter(([, value]) => value !== undefined)
        .map(([key, value]) => `${key}=${encodeURIComponent(value)}`)
        .join('&');
}

;// CONCATENATED MODULE: ./src/util/format.ts
/** Numbers as messages show them: durations and sizes. */
/** `90000` → `1m30s`. */
function formatDuration(ms) {
    if (ms < 1000)
        return `${ms}ms`;
    let s = Math.round(ms / 1000);
    const h = Math.floor(s / 3600);
    s -= h * 3600;
    const m = Math.floor(s / 60);
    s -= m * 60;
    return [h ? `${h}h` : '', m ? `${m}m` : '', s || (!h && !m) ? `${s}s` : ''].join('');
}
/** `1536` → `1.5 KiB`. */
function formatBytes(bytes) {
    if (bytes < 1024)
        return `${bytes} B`;
    if (bytes < 1024 * 1024)
        return `${(bytes / 1024).toFixed(1)} KiB`;
    return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

;// CONCATENATED MODULE: ./src/inputs/duration.ts


const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
/** Node's timers take at most 2^31−1 ms (about 24.8 days); a longer one fires after 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;
const HOUR = 3_600_000;
/** `timeout`: from a second to 24 days (576h). */
const TIMEOUT_BOUNDS = { min: 1_000, max: 24 * 24 * HOUR };
/** `request-timeout`, `max-poll-interval`: from a second to an hour. */
const GAP_BOUNDS = { min: 1_000, max: HOUR };
/**
 * Parses `90s`, `15m`, `2h`, `1h30m`, `500ms` or plain seconds (`120`) into milliseconds, within
 * `bounds` (checked on the value as written, before it is rounded to whole milliseconds).
 * Plain numbers are seconds because that is what the QMC and most CI tools use.
 */
function parseDuration(input, text, bounds) {
    const value = text.trim().toLowerCase();
    const hint = 'use a number of seconds or a duration such as 90s, 15m, 2h or 1h30m';
    if (/^\d+(\.\d+)?$/.test(value))
        return within(input, text, Number(value) * 1000, bounds);
    const parts = [...value.matchAll(/(\d+(?:\.\d+)?)\s*(ms|s|m|h)/g)];
    if (parts.length === 0 || parts.map(p => p[0]).join('') !== value.replace(/\s+/g, '')) {
        throw new errors/* InputError */.dz(input, `'${text}' is not a duration: ${hint}.`);
    }
    const ms = parts.reduce((sum, p) => sum + Number(p[1]) * UNIT_MS[p[2]], 0);
    return within(input, text, ms, bounds);
}
function within(input, text, ms, bounds) {
    const min = bounds.min;
    const max = Math.min(bounds.max, MAX_TIMER_MS);
    const range = `from ${formatDuration(min)} to ${formatDuration(max)}`;
    if (!(ms >= min))
        throw new errors/* InputError */.dz(input, `'${text.trim()}' is shorter than ${formatDuration(min)}: use a duration ${range}.`);
    if (ms > max)
        throw new errors/* InputError */.dz(input, `'${text.trim()}' is longer than ${formatDuration(max)}: use a duration ${range}.`);
    return Math.round(ms);
}

;// CONCATENATED MODULE: ./src/inputs/size.ts

const KB = 1024;
const UNIT_BYTES = { '': 1, b: 1, k: KB, kb: KB, kib: KB, m: KB ** 2, mb: KB ** 2, mib: KB ** 2, g: KB ** 3, gb: KB ** 3, gib: KB ** 3 };
/** A size of `min` to `max` bytes: `500KB`, `100MB`, `1.5GB` (1 KB = 1024 bytes; K, KiB, M, MiB, G, GiB too), or a number of bytes. */
function parseSize(input, text, { min, max }) {
    const match = /^(\d+(?:\.\d+)?)\s*(b|k|kb|kib|m|mb|mib|g|gb|gib)?$/i.exec(text.trim());
    const hint = 'use a size such as 500KB, 100MB or 1GB';
    if (!match)
        throw new errors/* InputError */.dz(input, `'${text}' is not a size: ${hint}.`);
    const bytes = Math.floor(Number(match[1]) * UNIT_BYTES[(match[2] ?? '').toLowerCase()]);
    if (bytes < min || bytes > max)
        throw new errors/* InputError */.dz(input, `'${text}' is outside ${describe(min)} to ${describe(max)}: ${hint}.`);
    return bytes;
}
function describe(bytes) {
    for (const [unit, size] of [
        ['GB', 1024 ** 3],
        ['MB', 1024 ** 2],
        ['KB', 1024]
    ])
        if (bytes % size === 0)
            return `${bytes / size}${unit}`;
    return `${bytes} B`;
}

;// CONCATENATED MODULE: ./src/inputs/parse-targets.ts


const TARGET_INPUTS = ['task-id', 'task-name', 'app-id', 'app-name', 'task-tag', 'task-custom-property'];
/**
 * The target inputs combine: the targets are their union. One per line (names may contain commas);
 * the same line twice in one input is a mistake, the same task from two inputs is not.
 */
function parseTargetInputs(get) {
    const given = TARGET_INPUTS.filter(name => get(name));
    if (given.length === 0)
        throw new errors/* InputError */.dz('task-id', `set at least one of ${TARGET_INPUTS.join(', ')}.`);
    const targets = [];
    const selectors = [];
    for (const input of given) {
        const seen = new Set();
        for (const line of lines(get(input))) {
            // Task and app names: the exact spelling wins when several match, so only the same spelling is a repeat.
            const key = input === 'task-name' || input === 'app-name' ? line : line.toLowerCase();
            if (seen.has(key))
                throw new errors/* InputError */.dz(input, `lists '${line}' twice.`);
            seen.add(key);
            if (input === 'task-name')
                targets.push({ kind: 'task-name', taskName: line });
            else if (input === 'app-name')
                targets.push({ kind: 'app-name', appName: line });
            else if (input === 'task-tag')
                selectors.push({ kind: 'task-tag', tag: line });
            else if (input === 'task-custom-property')
                selectors.push(parseProperty(line));
            else {
                if (!util_ids/* GUID */.Sm.test(line))
                    throw new errors/* InputError */.dz(input, `'${line}' is not a GUID (e.g. 0d815a2b-4d6c-4f7e-9a6b-1b2c3d4e5f60).`);
                targets.push(input === 'app-id' ? { kind: 'app-id', appId: line.toLowerCase() } : { kind: 'task-id', taskId: line.toLowerCase() });
            }
        }
    }
    const stream = get('stream') || undefined;
    if (stream && !get('app-name'))
        throw new errors/* InputError */.dz('stream', 'only applies to app-name: set app-name too, or remove stream.');
    if (stream?.includes('\n'))
        throw new errors/* InputError */.dz('stream', 'takes one stream name.');
    return { targets, selectors, stream, single: targets.length === 1 && selectors.length === 0 };
}
/** `Name=Value`; the name cannot contain `=`, the value may (split at the first one). */
function parseProperty(line) {
    const at = line.indexOf('=');
    const name = at < 0 ? '' : line.slice(0, at).trim();
    const value = at < 0 ? '' : line.slice(at + 1).trim();
    if (!name || !value)
        throw new errors/* InputError */.dz('task-custom-property', `'${line}' is not Name=Value (e.g. ReloadGroup=Finance).`);
    return { kind: 'task-custom-property', name, value };
}
function lines(text) {
    return text
        .split(/\r?\n/)
        .map(line => line.trim())
        .filter(Boolean);
}
/** How a selector reads in messages: "task-tag 'Nightly Finance'". */
function describeSelector(selector) {
    return selector.kind === 'task-tag' ? `task-tag '${selector.tag}'` : `task-custom-property '${selector.name}=${selector.value}'`;
}
function parseMaxTargets(value) {
    if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 1000)
        throw new errors/* InputError */.dz('max-targets', `'${value}' is not a whole number from 1 to 1000.`);
    return Number(value);
}

;// CONCATENATED MODULE: ./src/inputs/expect-rows.ts

const OPERATORS = ['>=', '<=', '>', '<', '='];
// `<table> <op> <count>`; a name with <, > or = in it is quoted ("a>b" or [a>b]), as in a load script.
const LINE = /^(?:"([^"]+)"|\[([^\]]+)\]|([^<>="[][^<>=]*?))\s*(>=|<=|>|<|=)\s*(\d+)$/;
/** expect-rows: one check per line; a bad line names itself. */
function parseExpectRows(value) {
    const checks = [];
    const seen = new Set();
    for (const line of value
        .split(/\r?\n/)
        .map(l => l.trim())
        .filter(Boolean)) {
        const match = LINE.exec(line);
        if (!match)
            throw new errors/* InputError */.dz('expect-rows', `'${line}' is not '<table> <op> <count>' (op one of ${OPERATORS.join(' ')}; e.g. 'Orders >= 1', '* > 0').`);
        const quoted = match[1] ?? match[2];
        const table = (quoted ?? match[3]).trim();
        const count = Number(match[5]);
        if (!Number.isSafeInteger(count))
            throw new errors/* InputError */.dz('expect-rows', `'${line}': ${match[5]} is too large a count.`);
        const check = { table, every: quoted === undefined && table === '*', op: match[4], count, line };
        const key = `${check.every ? '*' : `[${table}]`} ${check.op} ${count}`;
        if (seen.has(key))
            throw new errors/* InputError */.dz('expect-rows', `lists '${line}' twice.`);
        seen.add(key);
        checks.push(check);
    }
    return checks;
}

;// CONCATENATED MODULE: ./src/settings/engine.ts



const RELOAD_MODES = ['task', 'engine'];
/** The engine's port on a node, where certificate auth reaches it (mutual TLS, X-Qlik-User). */
const ENGINE_PORT = 4747;
/**
 * reload-mode, partial, engine-url and expect-rows, and what they cannot be combined with: each
 * combination that cannot work fails here, naming both inputs, before any request.
 */
function readEngineSettings(get, context) {
    const reloadMode = parseChoice('reload-mode', get('reload-mode'), RELOAD_MODES);
    const partial = parseBoolean('partial', get('partial'));
    const expectRows = parseExpectRows(get('expect-rows'));
    const engine = reloadMode === 'engine';
    if (partial && !engine) {
        throw new errors/* InputError */.dz('partial', "needs reload-mode: engine (a task started over the QRS always reloads fully); reload-mode is 'task'.");
    }
    if (engine)
        refuseWithEngine(context);
    if (expectRows.length > 0 && !context.wait)
        throw new errors/* InputError */.dz('expect-rows', 'needs wait: true: the checks run once the reload has ended.');
    if (get('engine-url') && !engine && expectRows.length === 0) {
        throw new errors/* InputError */.dz('engine-url', 'only applies with reload-mode: engine or expect-rows; remove it, or set one of them.');
    }
    return { reloadMode, partial, engineUrl: parseEngineUrl(get('engine-url'), context), expectRows };
}
/** The inputs an engine reload cannot honour: it reloads apps, in this step's own session. */
function refuseWithEngine(context) {
    const task = context.targets.find(target => target.kind === 'task-id' || target.kind === 'task-name')?.kind ?? context.selectors[0]?.kind;
    if (task)
        throw new errors/* InputError */.dz(task, 'names tasks, but reload-mode: engine reloads apps: use app-id or app-name, or reload-mode: task.');
    if (!context.wait)
        throw new errors/* InputError */.dz('wait', "must be true with reload-mode: engine: the engine reload runs in this step's session and ends with it.");
    if (context.waitForChain)
        throw new errors/* InputError */.dz('wait-for-chain', 'does not apply with reload-mode: engine: task triggers follow tasks, and an engine reload is no task.');
    if (context.ifRunning === 'attach')
        throw new errors/* InputError */.dz('if-running', "'attach' does not apply with reload-mode: engine (the action runs the reload itself): use wait or fail.");
    for (const [name, value] of [
        ['stop-on-timeout', context.stopOnTimeout],
        ['stop-on-cancel', context.stopOnCancel]
    ]) {
        if (!value)
            throw new errors/* InputError */.dz(name, "must be true with reload-mode: engine: the engine reload cannot outlive this step's session, so it is cancelled and never saved.");
    }
}
/**
 * `wss://host:port[/prefix]` (`https://` read as `wss://`). Default: certificate auth reaches the engine
 * on the node's port 4747; the other auth types through the virtual proxy of `url`, which serves it too.
 */
function parseEngineUrl(value, { url, certificateAuth }) {
    if (!value) {
        const engine = new URL(certificateAuth ? `https://${url.hostname}:${ENGINE_PORT}` : url.href);
        engine.protocol = 'wss:';
        return withoutTrailingSlash(engine);
    }
    let engine;
    try {
        engine = new URL(value);
    }
    catch {
        throw new errors/* InputError */.dz('engine-url', `'${value.replace(/\/\/[^/]*@/, '//***@')}' is not a URL (e.g. wss://qliksrv01.corp.example:4747).`);
    }
    if (engine.protocol === 'https:')
        engine.protocol = 'wss:';
    if (engine.protocol !== 'wss:')
        throw new errors/* InputError */.dz('engine-url', `must start with wss:// or https:// (got ${engine.protocol}//): the engine is reached over TLS.`);
    if (engine.username || engine.password)
        throw new errors/* InputError */.dz('engine-url', 'must not contain credentials; use the auth inputs.');
    if (engine.search || engine.hash)
        throw new errors/* InputError */.dz('engine-url', 'must not contain a query or fragment.');
    if (/\/app(\/|$)/i.test(engine.pathname))
        throw new errors/* InputError */.dz('engine-url', `must end before /app (e.g. wss://${engine.host}${engine.pathname.replace(/\/app(\/.*)?$/i, '')}): the app is added per target.`);
    return withoutTrailingSlash(engine);
}
function withoutTrailingSlash(url) {
    url.pathname = url.pathname.replace(/\/+$/, '');
    return url;
}

;// CONCATENATED MODULE: ./src/settings/settings.ts








const IF_RUNNING_MODES = ['wait', 'attach', 'fail'];
const SCRIPT_LOG_MODES = ['on-failure', 'always', 'never'];
/** script-log-max-size: room for a useful head and tail, at most what a runner's disk takes. */
const SCRIPT_LOG_SIZE = { min: 1024, max: 64 * 1024 ** 3 };
/** Defaults, the same as action.yml's: a hand-made `node dist/index.js` run gets no defaults from the runner. */
const DEFAULTS = {
    'qlik-user': 'UserDirectory=INTERNAL; UserId=sa_api',
    'user-agent': 'qlik-sense-reload (Windows)',
    'insecure-skip-tls-verify': 'false',
    wait: 'true',
    timeout: '60m',
    'max-poll-interval': '15s',
    'request-timeout': '30s',
    'script-log': 'on-failure',
    'script-log-max-size': '100MB',
    'if-running': 'wait',
    'max-parallel': '4',
    'fail-fast': 'false',
    'dry-run': 'false',
    'max-targets': '25',
    'wait-for-chain': 'false',
    'chain-failure': 'fail',
    'stop-on-timeout': 'true',
    'stop-on-cancel': 'true',
    'jwt-algorithm': 'RS256',
    'jwt-user-id-claim': 'userId',
    'jwt-user-directory-claim': 'userDirectory',
    'reload-mode': 'task',
    partial: 'false'
};
function getSettings(read) {
    const get = (name) => (read(name) ?? '').trim() || DEFAULTS[name] || '';
    // Passwords keep leading and trailing spaces.
    const raw = (name) => read(name, { trim: false }) ?? '';
    const secrets = [];
    const url = parseUrl(get('url'));
    const authType = parseAuthType(get('auth-type'));
    const { targets, selectors, stream, single } = parseTargetInputs(get);
    const auth = readAuth(authType, { get, raw, secrets });
    const caCert = get('ca-cert') ? readPem('ca-cert', get('ca-cert')) : undefined;
    if (caCert)
        parseCertificates('ca-cert', caCert);
    const wait = parseBoolean('wait', get('wait'));
    const waitForChain = parseBoolean('wait-for-chain', get('wait-for-chain'));
    const ifRunning = parseChoice('if-running', get('if-running'), IF_RUNNING_MODES);
    const stopOnTimeout = parseBoolean('stop-on-timeout', get('stop-on-timeout'));
    const stopOnCancel = parseBoolean('stop-on-cancel', get('stop-on-cancel'));
    const engine = readEngineSettings(get, { url, certificateAuth: authType === 'certificate', targets, selectors, wait, waitForChain, ifRunning, stopOnTimeout, stopOnCancel });
    return {
        ...engine,
        url,
        auth,
        caCert,
        tlsServerName: parseServerName(get('tls-server-name')),
        insecureSkipTlsVerify: parseBoolean('insecure-skip-tls-verify', get('insecure-skip-tls-verify')),
        userAgent: headerValue('user-agent', get('user-agent')),
        targets,
        selectors,
        stream,
        singleTarget: single,
        dryRun: parseBoolean('dry-run', get('dry-run')),
        maxTargets: parseMaxTargets(get('max-targets')),
        maxParallel: parseCount('max-parallel', get('max-parallel')),
        failFast: parseBoolean('fail-fast', get('fail-fast')),
        waitForChain,
        chainFailure: parseChoice('chain-failure', get('chain-failure'), ['fail', 'warn']),
        wait,
        timeoutMs: parseDuration('timeout', get('timeout'), TIMEOUT_BOUNDS),
        maxPollIntervalMs: parseDuration('max-poll-interval', get('max-poll-interval'), GAP_BOUNDS),
        requestTimeoutMs: parseDuration('request-timeout', get('request-timeout'), GAP_BOUNDS),
        scriptLog: parseChoice('script-log', get('script-log'), SCRIPT_LOG_MODES),
        scriptLogMaxBytes: parseSize('script-log-max-size', get('script-log-max-size'), SCRIPT_LOG_SIZE),
        ifRunning,
        stopOnTimeout,
        stopOnCancel,
        notify: parseNotify(get('notify-listen'), get('notify-url')),
        secrets
    };
}
function parseUrl(value) {
    if (!value)
        throw new errors/* InputError */.dz('url', 'is required (e.g. https://qliksrv01.corp.example:4242).');
    // Credentials in the URL (`https://user:password@host`): refused before parsing, and never echoed. A
    // password may hold any character, `/`, `?`, `#` and `@` too, so nothing before the last `@` can be shown.
    if (value.includes('@'))
        throw new errors/* InputError */.dz('url', 'must not contain a user name or password (it holds an @): leave them out and use the auth inputs.');
    let url;
    try {
        url = new URL(value);
    }
    catch {
        throw new errors/* InputError */.dz('url', `'${value}' is not a URL (e.g. https://qliksrv01.corp.example:4242).`);
    }
    if (url.protocol !== 'https:')
        throw new errors/* InputError */.dz('url', `must start with https:// (got ${url.protocol}//).`);
    if (url.search || url.hash)
        throw new errors/* InputError */.dz('url', 'must not contain a query or fragment.');
    if (/\/qrs(\/|$)/i.test(url.pathname)) {
        throw new errors/* InputError */.dz('url', `must end before /qrs (e.g. https://${url.host}${url.pathname.replace(/\/qrs.*$/i, '')}).`);
    }
    return url;
}
function parseAuthType(value) {
    if (!value)
        throw new errors/* InputError */.dz('auth-type', `is required: one of ${AUTH_TYPES.join(', ')}.`);
    const type = value.toLowerCase();
    if (!AUTH_TYPES.includes(type)) {
        throw new errors/* InputError */.dz('auth-type', `'${value}' is not one of ${AUTH_TYPES.join(', ')}.`);
    }
    return type;
}
function parseNotify(listen, url) {
    if (!listen && !url)
        return undefined;
    if (!listen)
        throw new errors/* InputError */.dz('notify-listen', 'is required with notify-url (host:port to listen on, e.g. 0.0.0.0:8765).');
    if (!url)
        throw new errors/* InputError */.dz('notify-url', 'is required with notify-listen (the URL the Qlik server calls, e.g. http://runner01.corp.example:8765/qlik-notify).');
    const match = /^(.*):(\d{1,5})$/.exec(listen);
    const port = match ? Number(match[2]) : NaN;
    if (!match || port < 1 || port > 65535)
        throw new errors/* InputError */.dz('notify-listen', `'${listen}' is not host:port (e.g. 0.0.0.0:8765 or :8765).`);
    let callback;
    try {
        callback = new URL(url);
    }
    catch {
        throw new errors/* InputError */.dz('notify-url', `'${url}' is not a URL (e.g. http://runner01.corp.example:8765/qlik-notify).`);
    }
    // The listener speaks plain HTTP: an https:// URL would have the QRS fail every callback.
    if (callback.protocol !== 'http:')
        throw new errors/* InputError */.dz('notify-url', `must be an http:// URL (got ${callback.protocol}//): the step's listener speaks plain HTTP.`);
    return { listen: { host: match[1].replace(/^\[|\]$/g, '') || '0.0.0.0', port }, url: callback };
}
function parseServerName(value) {
    if (!value)
        return undefined;
    if (!/^[A-Za-z0-9.-]+$/.test(value) && !/^[0-9a-f:]+$/i.test(value)) {
        throw new errors/* InputError */.dz('tls-server-name', `'${value}' is not a host name (e.g. qliksrv01.corp.example).`);
    }
    return value;
}

;// CONCATENATED MODULE: external "os"
const external_os_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("os");
;// CONCATENATED MODULE: ./node_modules/@actions/core/lib/utils.js
// We use any as a valid input type
/* eslint-disable @typescript-eslint/no-explicit-any */
/**
 * Sanitizes an input into a string so it can be passed into issueCommand safely
 * @param input input to sanitize into a string
 */
function utils_toCommandValue(input) {
    if (input === null || input === undefined) {
        return '';
    }
    else if (typeof input === 'string' || input instanceof String) {
        return input;
    }
    return JSON.stringify(input);
}
/**
 *
 * @param annotationProperties
 * @returns The command properties to send with the actual annotation command
 * See IssueCommandProperties: https://github.com/actions/runner/blob/main/src/Runner.Worker/ActionCommandManager.cs#L646
 */
function utils_toCommandProperties(annotationProperties) {
    if (!Object.keys(annotationProperties).length) {
        return {};
    }
    return {
        title: annotationProperties.title,
        file: annotationProperties.file,
        line: annotationProperties.startLine,
        endLine: annotationProperties.endLine,
        col: annotationProperties.startColumn,
        endColumn: annotationProperties.endColumn
    };
}
//# sourceMappingURL=utils.js.map
;// CONCATENATED MODULE: ./node_modules/@actions/core/lib/command.js


/**
 * Issues a command to the GitHub Actions runner
 *
 * @param command - The command name to issue
 * @param properties - Additional properties for the command (key-value pairs)
 * @param message - The message to include with the command
 * @remarks
 * This function outputs a specially formatted string to stdout that the Actions
 * runner interprets as a command. These commands can control workflow behavior,
 * set outputs, create annotations, mask values, and more.
 *
 * Command Format:
 *   ::name key=value,key=value::message
 *
 * @example
 * ```typescript
 * // Issue a warning annotation
 * issueCommand('warning', {}, 'This is a warning message');
 * // Output: ::warning::This is a warning message
 *
 * // Set an environment variable
 * issueCommand('set-env', { name: 'MY_VAR' }, 'some value');
 * // Output: ::set-env name=MY_VAR::some value
 *
 * // Add a secret mask
 * issueCommand('add-mask', {}, 'secretValue123');
 * // Output: ::add-mask::secretValue123
 * ```
 *
 * @internal
 * This is an internal utility function that powers the public API functions
 * such as setSecret, warning, error, and exportVariable.
 */
function command_issueCommand(command, properties, message) {
    const cmd = new Command(command, properties, message);
    process.stdout.write(cmd.toString() + external_os_namespaceObject.EOL);
}
function command_issue(name, message = '') {
    command_issueCommand(name, {}, message);
}
const CMD_STRING = '::';
class Command {
    constructor(command, properties, message) {
        if (!command) {
            command = 'missing.command';
        }
        this.command = command;
        this.properties = properties;
        this.message = message;
    }
    toString() {
        let cmdStr = CMD_STRING + this.command;
        if (this.properties && Object.keys(this.properties).length > 0) {
            cmdStr += ' ';
            let first = true;
            for (const key in this.properties) {
                if (this.properties.hasOwnProperty(key)) {
                    const val = this.properties[key];
                    if (val) {
                        if (first) {
                            first = false;
                        }
                        else {
                            cmdStr += ',';
                        }
                        cmdStr += `${key}=${escapeProperty(val)}`;
                    }
                }
            }
        }
        cmdStr += `${CMD_STRING}${escapeData(this.message)}`;
        return cmdStr;
    }
}
function escapeData(s) {
    return utils_toCommandValue(s)
        .replace(/%/g, '%25')
        .replace(/\r/g, '%0D')
        .replace(/\n/g, '%0A');
}
function escapeProperty(s) {
    return utils_toCommandValue(s)
        .replace(/%/g, '%25')
        .replace(/\r/g, '%0D')
        .replace(/\n/g, '%0A')
        .replace(/:/g, '%3A')
        .replace(/,/g, '%2C');
}
//# sourceMappingURL=command.js.map
// EXTERNAL MODULE: external "crypto"
var external_crypto_ = __nccwpck_require__(6982);
;// CONCATENATED MODULE: external "fs"
const external_fs_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("fs");
;// CONCATENATED MODULE: ./node_modules/@actions/core/lib/file-command.js
// For internal use, subject to change.
// We use any as a valid input type
/* eslint-disable @typescript-eslint/no-explicit-any */




function file_command_issueFileCommand(command, message) {
    const filePath = process.env[`GITHUB_${command}`];
    if (!filePath) {
        throw new Error(`Unable to find environment variable for file command ${command}`);
    }
    if (!external_fs_namespaceObject.existsSync(filePath)) {
        throw new Error(`Missing file at path: ${filePath}`);
    }
    external_fs_namespaceObject.appendFileSync(filePath, `${utils_toCommandValue(message)}${external_os_namespaceObject.EOL}`, {
        encoding: 'utf8'
    });
}
function file_command_prepareKeyValueMessage(key, value) {
    const delimiter = `ghadelimiter_${external_crypto_.randomUUID()}`;
    const convertedValue = utils_toCommandValue(value);
    // These should realistically never happen, but just in case someone finds a
    // way to exploit uuid generation let's not allow keys or values that contain
    // the delimiter.
    if (key.includes(delimiter)) {
        throw new Error(`Unexpected input: name should not contain the delimiter "${delimiter}"`);
    }
    if (convertedValue.includes(delimiter)) {
        throw new Error(`Unexpected input: value should not contain the delimiter "${delimiter}"`);
    }
    return `${key}<<${delimiter}${external_os_namespaceObject.EOL}${convertedValue}${external_os_namespaceObject.EOL}${delimiter}`;
}
//# sourceMappingURL=file-command.js.map
;// CONCATENATED MODULE: external "path"
const external_path_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("path");
;// CONCATENATED MODULE: ./node_modules/@actions/http-client/lib/auth.js
var __awaiter = (undefined && undefined.__awaiter) || function (thisArg, _arguments, P, generator) {
    function adopt(value) { return value instanceof P ? value : new P(function (resolve) { resolve(value); }); }
    return new (P || (P = Promise))(function (resolve, reject) {
        function fulfilled(value) { try { step(generator.next(value)); } catch (e) { reject(e); } }
        function rejected(value) { try { step(generator["throw"](value)); } catch (e) { reject(e); } }
        function step(result) { result.done ? resolve(result.value) : adopt(result.value).then(fulfilled, rejected); }
        step((generator = generator.apply(thisArg, _arguments || [])).next());
    });
};
class BasicCredentialHandler {
    constructor(username, password) {
        this.username = username;
        this.password = password;
    }
    prepareRequest(options) {
        if (!options.headers) {
            throw Error('The request has no headers');
        }
        options.headers['Authorization'] = `Basic ${Buffer.from(`${this.username}:${this.password}`).toString('base64')}`;
    }
    // This handler cannot handle 401
    canHandleAuthentication() {
        return false;
    }
    handleAuthentication() {
        return __awaiter(this, void 0, void 0, function* () {
            throw new Error('not implemented');
        });
    }
}
class auth_BearerCredentialHandler {
    constructor(token) {
        this.token = token;
    }
    // currently implements pre-authorization
    // TODO: support preAuth = false where it hooks on 401
    prepareRequest(options) {
        if (!options.headers) {
            throw Error('The request has no headers');
        }
        options.headers['Authorization'] = `Bearer ${this.token}`;
    }
    // This handler cannot handle 401
    canHandleAuthentication() {
        return false;
    }
    handleAuthentication() {
        return __awaiter(this, void 0, void 0, function* () {
            throw new Error('not implemented');
        });
    }
}
class PersonalAccessTokenCredentialHandler {
    constructor(token) {
        this.token = token;
    }
    // currently implements pre-authorization
    // TODO: support preAuth = false where it hooks on 401
    prepareRequest(options) {
        if (!options.headers) {
            throw Error('The request has no headers');
        }
        options.headers['Authorization'] = `Basic ${Buffer.from(`PAT:${this.token}`).toString('base64')}`;
    }
    // This handler cannot handle 401
    canHandleAuthentication() {
        return false;
    }
    handleAuthentication() {
        return __awaiter(this, void 0, void 0, function* () {
            throw new Error('not implemented');
        });
    }
}
//# sourceMappingURL=auth.js.map
;// CONCATENATED MODULE: ./node_modules/@actions/core/lib/oidc-utils.js
var oidc_utils_awaiter = (undefined && undefined.__awaiter) || function (thisArg, _arguments, P, generator) {
    function adopt(value) { return value instanceof P ? value : new P(function (resolve) { resolve(value); }); }
    return new (P || (P = Promise))(function (resolve, reject) {
        function fulfilled(value) { try { step(generator.next(value)); } catch (e) { reject(e); } }
        function rejected(value) { try { step(generator["throw"](value)); } catch (e) { reject(e); } }
        function step(result) { result.done ? resolve(result.value) : adopt(result.value).then(fulfilled, rejected); }
        step((generator = generator.apply(thisArg, _arguments || [])).next());
    });
};



class oidc_utils_OidcClient {
    static createHttpClient(allowRetry = true, maxRetry = 10) {
        const requestOptions = {
            allowRetries: allowRetry,
            maxRetries: maxRetry
        };
        return new HttpClient('actions/oidc-client', [new BearerCredentialHandler(oidc_utils_OidcClient.getRequestToken())], requestOptions);
    }
    static getRequestToken() {
        const token = process.env['ACTIONS_ID_TOKEN_REQUEST_TOKEN'];
        if (!token) {
            throw new Error('Unable to get ACTIONS_ID_TOKEN_REQUEST_TOKEN env variable');
        }
        return token;
    }
    static getIDTokenUrl() {
        const runtimeUrl = process.env['ACTIONS_ID_TOKEN_REQUEST_URL'];
        if (!runtimeUrl) {
            throw new Error('Unable to get ACTIONS_ID_TOKEN_REQUEST_URL env variable');
        }
        return runtimeUrl;
    }
    static getCall(id_token_url) {
        return oidc_utils_awaiter(this, void 0, void 0, function* () {
            var _a;
            const httpclient = oidc_utils_OidcClient.createHttpClient();
            const res = yield httpclient
                .getJson(id_token_url)
                .catch(error => {
                throw new Error(`Failed to get ID Token. \n 
        Error Code : ${error.statusCode}\n 
        Error Message: ${error.message}`);
            });
            const id_token = (_a = res.result) === null || _a === void 0 ? void 0 : _a.value;
            if (!id_token) {
                throw new Error('Response json body do not have ID Token field');
            }
            return id_token;
        });
    }
    static getIDToken(audience) {
        return oidc_utils_awaiter(this, void 0, void 0, function* () {
            try {
                // New ID Token is requested from action service
                let id_token_url = oidc_utils_OidcClient.getIDTokenUrl();
                if (audience) {
                    const encodedAudience = encodeURIComponent(audience);
                    id_token_url = `${id_token_url}&audience=${encodedAudience}`;
                }
                debug(`ID token url is ${id_token_url}`);
                const id_token = yield oidc_utils_OidcClient.getCall(id_token_url);
                setSecret(id_token);
                return id_token;
            }
            catch (error) {
                throw new Error(`Error message: ${error.message}`);
            }
        });
    }
}
//# sourceMappingURL=oidc-utils.js.map
;// CONCATENATED MODULE: ./node_modules/@actions/core/lib/summary.js
var summary_awaiter = (undefined && undefined.__awaiter) || function (thisArg, _arguments, P, generator) {
    function adopt(value) { return value instanceof P ? value : new P(function (resolve) { resolve(value); }); }
    return new (P || (P = Promise))(function (resolve, reject) {
        function fulfilled(value) { try { step(generator.next(value)); } catch (e) { reject(e); } }
        function rejected(value) { try { step(generator["throw"](value)); } catch (e) { reject(e); } }
        function step(result) { result.done ? resolve(result.value) : adopt(result.value).then(fulfilled, rejected); }
        step((generator = generator.apply(thisArg, _arguments || [])).next());
    });
};


const { access, appendFile, writeFile } = external_fs_namespaceObject.promises;
const SUMMARY_ENV_VAR = 'GITHUB_STEP_SUMMARY';
const SUMMARY_DOCS_URL = 'https://docs.github.com/actions/using-workflows/workflow-commands-for-github-actions#adding-a-job-summary';
class Summary {
    constructor() {
        this._buffer = '';
    }
    /**
     * Finds the summary file path from the environment, rejects if env var is not found or file does not exist
     * Also checks r/w permissions.
     *
     * @returns step summary file path
     */
    filePath() {
        return summary_awaiter(this, void 0, void 0, function* () {
            if (this._filePath) {
                return this._filePath;
            }
            const pathFromEnv = process.env[SUMMARY_ENV_VAR];
            if (!pathFromEnv) {
                throw new Error(`Unable to find environment variable for $${SUMMARY_ENV_VAR}. Check if your runtime environment supports job summaries.`);
            }
            try {
                yield access(pathFromEnv, external_fs_namespaceObject.constants.R_OK | external_fs_namespaceObject.constants.W_OK);
            }
            catch (_a) {
                throw new Error(`Unable to access summary file: '${pathFromEnv}'. Check if the file has correct read/write permissions.`);
            }
            this._filePath = pathFromEnv;
            return this._filePath;
        });
    }
    /**
     * Wraps content in an HTML tag, adding any HTML attributes
     *
     * @param {string} tag HTML tag to wrap
     * @param {string | null} content content within the tag
     * @param {[attribute: string]: string} attrs key-value list of HTML attributes to add
     *
     * @returns {string} content wrapped in HTML element
     */
    wrap(tag, content, attrs = {}) {
        const htmlAttrs = Object.entries(attrs)
            .map(([key, value]) => ` ${key}="${value}"`)
            .join('');
        if (!content) {
            return `<${tag}${htmlAttrs}>`;
        }
        return `<${tag}${htmlAttrs}>${content}</${tag}>`;
    }
    /**
     * Writes text in the buffer to the summary buffer file and empties buffer. Will append by default.
     *
     * @param {SummaryWriteOptions} [options] (optional) options for write operation
     *
     * @returns {Promise<Summary>} summary instance
     */
    write(options) {
        return summary_awaiter(this, void 0, void 0, function* () {
            const overwrite = !!(options === null || options === void 0 ? void 0 : options.overwrite);
            const filePath = yield this.filePath();
            const writeFunc = overwrite ? writeFile : appendFile;
            yield writeFunc(filePath, this._buffer, { encoding: 'utf8' });
            return this.emptyBuffer();
        });
    }
    /**
     * Clears the summary buffer and wipes the summary file
     *
     * @returns {Summary} summary instance
     */
    clear() {
        return summary_awaiter(this, void 0, void 0, function* () {
            return this.emptyBuffer().write({ overwrite: true });
        });
    }
    /**
     * Returns the current summary buffer as a string
     *
     * @returns {string} string of summary buffer
     */
    stringify() {
        return this._buffer;
    }
    /**
     * If the summary buffer is empty
     *
     * @returns {boolen} true if the buffer is empty
     */
    isEmptyBuffer() {
        return this._buffer.length === 0;
    }
    /**
     * Resets the summary buffer without writing to summary file
     *
     * @returns {Summary} summary instance
     */
    emptyBuffer() {
        this._buffer = '';
        return this;
    }
    /**
     * Adds raw text to the summary buffer
     *
     * @param {string} text content to add
     * @param {boolean} [addEOL=false] (optional) append an EOL to the raw text (default: false)
     *
     * @returns {Summary} summary instance
     */
    addRaw(text, addEOL = false) {
        this._buffer += text;
        return addEOL ? this.addEOL() : this;
    }
    /**
     * Adds the operating system-specific end-of-line marker to the buffer
     *
     * @returns {Summary} summary instance
     */
    addEOL() {
        return this.addRaw(external_os_namespaceObject.EOL);
    }
    /**
     * Adds an HTML codeblock to the summary buffer
     *
     * @param {string} code content to render within fenced code block
     * @param {string} lang (optional) language to syntax highlight code
     *
     * @returns {Summary} summary instance
     */
    addCodeBlock(code, lang) {
        const attrs = Object.assign({}, (lang && { lang }));
        const element = this.wrap('pre', this.wrap('code', code), attrs);
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds an HTML list to the summary buffer
     *
     * @param {string[]} items list of items to render
     * @param {boolean} [ordered=false] (optional) if the rendered list should be ordered or not (default: false)
     *
     * @returns {Summary} summary instance
     */
    addList(items, ordered = false) {
        const tag = ordered ? 'ol' : 'ul';
        const listItems = items.map(item => this.wrap('li', item)).join('');
        const element = this.wrap(tag, listItems);
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds an HTML table to the summary buffer
     *
     * @param {SummaryTableCell[]} rows table rows
     *
     * @returns {Summary} summary instance
     */
    addTable(rows) {
        const tableBody = rows
            .map(row => {
            const cells = row
                .map(cell => {
                if (typeof cell === 'string') {
                    return this.wrap('td', cell);
                }
                const { header, data, colspan, rowspan } = cell;
                const tag = header ? 'th' : 'td';
                const attrs = Object.assign(Object.assign({}, (colspan && { colspan })), (rowspan && { rowspan }));
                return this.wrap(tag, data, attrs);
            })
                .join('');
            return this.wrap('tr', cells);
        })
            .join('');
        const element = this.wrap('table', tableBody);
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds a collapsable HTML details element to the summary buffer
     *
     * @param {string} label text for the closed state
     * @param {string} content collapsable content
     *
     * @returns {Summary} summary instance
     */
    addDetails(label, content) {
        const element = this.wrap('details', this.wrap('summary', label) + content);
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds an HTML image tag to the summary buffer
     *
     * @param {string} src path to the image you to embed
     * @param {string} alt text description of the image
     * @param {SummaryImageOptions} options (optional) addition image attributes
     *
     * @returns {Summary} summary instance
     */
    addImage(src, alt, options) {
        const { width, height } = options || {};
        const attrs = Object.assign(Object.assign({}, (width && { width })), (height && { height }));
        const element = this.wrap('img', null, Object.assign({ src, alt }, attrs));
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds an HTML section heading element
     *
     * @param {string} text heading text
     * @param {number | string} [level=1] (optional) the heading level, default: 1
     *
     * @returns {Summary} summary instance
     */
    addHeading(text, level) {
        const tag = `h${level}`;
        const allowedTag = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].includes(tag)
            ? tag
            : 'h1';
        const element = this.wrap(allowedTag, text);
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds an HTML thematic break (<hr>) to the summary buffer
     *
     * @returns {Summary} summary instance
     */
    addSeparator() {
        const element = this.wrap('hr', null);
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds an HTML line break (<br>) to the summary buffer
     *
     * @returns {Summary} summary instance
     */
    addBreak() {
        const element = this.wrap('br', null);
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds an HTML blockquote to the summary buffer
     *
     * @param {string} text quote text
     * @param {string} cite (optional) citation url
     *
     * @returns {Summary} summary instance
     */
    addQuote(text, cite) {
        const attrs = Object.assign({}, (cite && { cite }));
        const element = this.wrap('blockquote', text, attrs);
        return this.addRaw(element).addEOL();
    }
    /**
     * Adds an HTML anchor tag to the summary buffer
     *
     * @param {string} text link text/content
     * @param {string} href hyperlink
     *
     * @returns {Summary} summary instance
     */
    addLink(text, href) {
        const element = this.wrap('a', text, { href });
        return this.addRaw(element).addEOL();
    }
}
const _summary = new Summary();
/**
 * @deprecated use `core.summary`
 */
const markdownSummary = (/* unused pure expression or super */ null && (_summary));
const summary = _summary;
//# sourceMappingURL=summary.js.map
;// CONCATENATED MODULE: ./node_modules/@actions/core/lib/path-utils.js

/**
 * toPosixPath converts the given path to the posix form. On Windows, \\ will be
 * replaced with /.
 *
 * @param pth. Path to transform.
 * @return string Posix path.
 */
function toPosixPath(pth) {
    return pth.replace(/[\\]/g, '/');
}
/**
 * toWin32Path converts the given path to the win32 form. On Linux, / will be
 * replaced with \\.
 *
 * @param pth. Path to transform.
 * @return string Win32 path.
 */
function toWin32Path(pth) {
    return pth.replace(/[/]/g, '\\');
}
/**
 * toPlatformPath converts the given path to a platform-specific path. It does
 * this by replacing instances of / and \ with the platform-specific path
 * separator.
 *
 * @param pth The path to platformize.
 * @return string The platform-specific path.
 */
function toPlatformPath(pth) {
    return pth.replace(/[/\\]/g, path.sep);
}
//# sourceMappingURL=path-utils.js.map
;// CONCATENATED MODULE: external "string_decoder"
const external_string_decoder_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("string_decoder");
// EXTERNAL MODULE: external "events"
var external_events_ = __nccwpck_require__(4434);
;// CONCATENATED MODULE: external "child_process"
const external_child_process_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("child_process");
// EXTERNAL MODULE: external "assert"
var external_assert_ = __nccwpck_require__(2613);
;// CONCATENATED MODULE: ./node_modules/@actions/io/lib/io-util.js
var io_util_awaiter = (undefined && undefined.__awaiter) || function (thisArg, _arguments, P, generator) {
    function adopt(value) { return value instanceof P ? value : new P(function (resolve) { resolve(value); }); }
    return new (P || (P = Promise))(function (resolve, reject) {
        function fulfilled(value) { try { step(generator.next(value)); } catch (e) { reject(e); } }
        function rejected(value) { try { step(generator["throw"](value)); } catch (e) { reject(e); } }
        function step(result) { result.done ? resolve(result.value) : adopt(result.value).then(fulfilled, rejected); }
        step((generator = generator.apply(thisArg, _arguments || [])).next());
    });
};


const { chmod, copyFile, lstat, mkdir, open: io_util_open, readdir, rename, rm, rmdir, stat, symlink, unlink } = external_fs_namespaceObject.promises;
// export const {open} = 'fs'
const IS_WINDOWS = process.platform === 'win32';
/**
 * Custom implementation of readlink to ensure Windows junctions
 * maintain trailing backslash for backward compatibility with Node.js < 24
 *
 * In Node.js 20, Windows junctions (directory symlinks) always returned paths
 * with trailing backslashes. Node.js 24 removed this behavior, which breaks
 * code that relied on this format for path operations.
 *
 * This implementation restores the Node 20 behavior by adding a trailing
 * backslash to all junction results on Windows.
 */
function readlink(fsPath) {
    return io_util_awaiter(this, void 0, void 0, function* () {
        const result = yield fs.promises.readlink(fsPath);
        // On Windows, restore Node 20 behavior: add trailing backslash to all results
        // since junctions on Windows are always directory links
        if (IS_WINDOWS && !result.endsWith('\\')) {
            return `${result}\\`;
        }
        return result;
    });
}
// See https://github.com/nodejs/node/blob/d0153aee367422d0858105abec186da4dff0a0c5/deps/uv/include/uv/win.h#L691
const UV_FS_O_EXLOCK = 0x10000000;
const READONLY = external_fs_namespaceObject.constants.O_RDONLY;
function exists(fsPath) {
    return io_util_awaiter(this, void 0, void 0, function* () {
        try {
            yield stat(fsPath);
        }
        catch (err) {
            if (err.code === 'ENOENT') {
                return false;
            }
            throw err;
        }
        return true;
    });
}
function isDirectory(fsPath_1) {
    return io_util_awaiter(this, arguments, void 0, function* (fsPath, useStat = false) {
        const stats = useStat ? yield stat(fsPath) : yield lstat(fsPath);
        return stats.isDirectory();
    });
}
/**
 * On OSX/Linux, true if path starts with '/'. On Windows, true for paths like:
 * \, \hello, \\hello\share, C:, and C:\hello (and corresponding alternate separator cases).
 */
function isRooted(p) {
    p = normalizeSeparators(p);
    if (!p) {
        throw new Error('isRooted() parameter "p" cannot be empty');
    }
    if (IS_WINDOWS) {
        return (p.startsWith('\\') || /^[A-Z]:/i.test(p) // e.g. \ or \hello or \\hello
        ); // e.g. C: or C:\hello
    }
    return p.startsWith('/');
}
/**
 * Best effort attempt to determine whether a file exists and is executable.
 * @param filePath    file path to check
 * @param extensions  additional file extensions to try
 * @return if file exists and is executable, returns the file path. otherwise empty string.
 */
function tryGetExecutablePath(filePath, extensions) {
    return io_util_awaiter(this, void 0, void 0, function* () {
        let stats = undefined;
        try {
            // test file exists
            stats = yield stat(filePath);
        }
        catch (err) {
            if (err.code !== 'ENOENT') {
                // eslint-disable-next-line no-console
                console.log(`Unexpected error attempting to determine if executable file exists '${filePath}': ${err}`);
            }
        }
        if (stats && stats.isFile()) {
            if (IS_WINDOWS) {
                // on Windows, test for valid extension
                const upperExt = external_path_namespaceObject.extname(filePath).toUpperCase();
                if (extensions.some(validExt => validExt.toUpperCase() === upperExt)) {
                    return filePath;
                }
            }
            else {
                if (isUnixExecutable(stats)) {
                    return filePath;
                }
            }
        }
        // try each extension
        const originalFilePath = filePath;
        for (const extension of extensions) {
            filePath = originalFilePath + extension;
            stats = undefined;
            try {
                stats = yield stat(filePath);
            }
            catch (err) {
                if (err.code !== 'ENOENT') {
                    // eslint-disable-next-line no-console
                    console.log(`Unexpected error attempting to determine if executable file exists '${filePath}': ${err}`);
                }
            }
            if (stats && stats.isFile()) {
                if (IS_WINDOWS) {
                    // preserve the case of the actual file (since an extension was appended)
                    try {
                        const directory = external_path_namespaceObject.dirname(filePath);
                        const upperName = external_path_namespaceObject.basename(filePath).toUpperCase();
                        for (const actualName of yield readdir(directory)) {
                            if (upperName === actualName.toUpperCase()) {
                                filePath = external_path_namespaceObject.join(directory, actualName);
                                break;
                            }
                        }
                    }
                    catch (err) {
                        // eslint-disable-next-line no-console
                        console.log(`Unexpected error attempting to determine the actual case of the file '${filePath}': ${err}`);
                    }
                    return filePath;
                }
                else {
                    if (isUnixExecutable(stats)) {
                        return filePath;
                    }
                }
            }
        }
        return '';
    });
}
function normalizeSeparators(p) {
    p = p || '';
    if (IS_WINDOWS) {
        // convert slashes on Windows
        p = p.replace(/\//g, '\\');
        // remove redundant slashes
        return p.replace(/\\\\+/g, '\\');
    }
    // remove redundant slashes
    return p.replace(/\/\/+/g, '/');
}
// on Mac/Linux, test the execute bit
//     R   W  X  R  W X R W X
//   256 128 64 32 16 8 4 2 1
function isUnixExecutable(stats) {
    return ((stats.mode & 1) > 0 ||
        ((stats.mode & 8) > 0 &&
            process.getgid !== undefined &&
            stats.gid === process.getgid()) ||
        ((stats.mode & 64) > 0 &&
            process.getuid !== undefined &&
            stats.uid === process.getuid()));
}
// Get the path of cmd.exe in windows
function getCmdPath() {
    var _a;
    return (_a = process.env['COMSPEC']) !== null && _a !== void 0 ? _a : `cmd.exe`;
}
//# sourceMappingURL=io-util.js.map
;// CONCATENATED MODULE: ./node_modules/@actions/io/lib/io.js
var io_awaiter = (undefined && undefined.__awaiter) || function (thisArg, _arguments, P, generator) {
    function adopt(value) { return value instanceof P ? value : new P(function (resolve) { resolve(value); }); }
    return new (P || (P = Promise))(function (resolve, reject) {
        function fulfilled(value) { try { step(generator.next(value)); } catch (e) { reject(e); } }
        function rejected(value) { try { step(generator["throw"](value)); } catch (e) { reject(e); } }
        function step(result) { result.done ? resolve(result.value) : adopt(result.value).then(fulfilled, rejected); }
        step((generator = generator.apply(thisArg, _arguments || [])).next());
    });
};



/**
 * Copies a file or folder.
 * Based off of shelljs - https://github.com/shelljs/shelljs/blob/9237f66c52e5daa40458f94f9565e18e8132f5a6/src/cp.js
 *
 * @param     source    source path
 * @param     dest      destination path
 * @param     options   optional. See CopyOptions.
 */
function cp(source_1, dest_1) {
    return io_awaiter(this, arguments, void 0, function* (source, dest, options = {}) {
        const { force, recursive, copySourceDirectory } = readCopyOptions(options);
        const destStat = (yield ioUtil.exists(dest)) ? yield ioUtil.stat(dest) : null;
        // Dest is an existing file, but not forcing
        if (destStat && destStat.isFile() && !force) {
            return;
        }
        // If dest is an existing directory, should copy inside.
        const newDest = destStat && destStat.isDirectory() && copySourceDirectory
            ? path.join(dest, path.basename(source))
            : dest;
        if (!(yield ioUtil.exists(source))) {
            throw new Error(`no such file or directory: ${source}`);
        }
        const sourceStat = yield ioUtil.stat(source);
        if (sourceStat.isDirectory()) {
            if (!recursive) {
                throw new Error(`Failed to copy. ${source} is a directory, but tried to copy without recursive flag.`);
            }
            else {
                yield cpDirRecursive(source, newDest, 0, force);
            }
        }
        else {
            if (path.relative(source, newDest) === '') {
                // a file cannot be copied to itself
                throw new Error(`'${newDest}' and '${source}' are the same file`);
            }
            yield io_copyFile(source, newDest, force);
        }
    });
}
/**
 * Moves a path.
 *
 * @param     source    source path
 * @param     dest      destination path
 * @param     options   optional. See MoveOptions.
 */
function mv(source_1, dest_1) {
    return io_awaiter(this, arguments, void 0, function* (source, dest, options = {}) {
        if (yield ioUtil.exists(dest)) {
            let destExists = true;
            if (yield ioUtil.isDirectory(dest)) {
                // If dest is directory copy src into dest
                dest = path.join(dest, path.basename(source));
                destExists = yield ioUtil.exists(dest);
            }
            if (destExists) {
                if (options.force == null || options.force) {
                    yield rmRF(dest);
                }
                else {
                    throw new Error('Destination already exists');
                }
            }
        }
        yield mkdirP(path.dirname(dest));
        yield ioUtil.rename(source, dest);
    });
}
/**
 * Remove a path recursively with force
 *
 * @param inputPath path to remove
 */
function rmRF(inputPath) {
    return io_awaiter(this, void 0, void 0, function* () {
        if (ioUtil.IS_WINDOWS) {
            // Check for invalid characters
            // https://docs.microsoft.com/en-us/windows/win32/fileio/naming-a-file
            if (/[*"<>|]/.test(inputPath)) {
                throw new Error('File path must not contain `*`, `"`, `<`, `>` or `|` on Windows');
            }
        }
        try {
            // note if path does not exist, error is silent
            yield ioUtil.rm(inputPath, {
                force: true,
                maxRetries: 3,
                recursive: true,
                retryDelay: 300
            });
        }
        catch (err) {
            throw new Error(`File was unable to be removed ${err}`);
        }
    });
}
/**
 * Make a directory.  Creates the full path with folders in between
 * Will throw if it fails
 *
 * @param   fsPath        path to create
 * @returns Promise<void>
 */
function mkdirP(fsPath) {
    return io_awaiter(this, void 0, void 0, function* () {
        ok(fsPath, 'a path argument must be provided');
        yield ioUtil.mkdir(fsPath, { recursive: true });
    });
}
/**
 * Returns path of a tool had the tool actually been invoked.  Resolves via paths.
 * If you check and the tool does not exist, it will throw.
 *
 * @param     tool              name of the tool
 * @param     check             whether to check if tool exists
 * @returns   Promise<string>   path to tool
 */
function which(tool, check) {
    return io_awaiter(this, void 0, void 0, function* () {
        if (!tool) {
            throw new Error("parameter 'tool' is required");
        }
        // recursive when check=true
        if (check) {
            const result = yield which(tool, false);
            if (!result) {
                if (IS_WINDOWS) {
                    throw new Error(`Unable to locate executable file: ${tool}. Please verify either the file path exists or the file can be found within a directory specified by the PATH environment variable. Also verify the file has a valid extension for an executable file.`);
                }
                else {
                    throw new Error(`Unable to locate executable file: ${tool}. Please verify either the file path exists or the file can be found within a directory specified by the PATH environment variable. Also check the file mode to verify the file is executable.`);
                }
            }
            return result;
        }
        const matches = yield findInPath(tool);
        if (matches && matches.length > 0) {
            return matches[0];
        }
        return '';
    });
}
/**
 * Returns a list of all occurrences of the given tool on the system path.
 *
 * @returns   Promise<string[]>  the paths of the tool
 */
function findInPath(tool) {
    return io_awaiter(this, void 0, void 0, function* () {
        if (!tool) {
            throw new Error("parameter 'tool' is required");
        }
        // build the list of extensions to try
        const extensions = [];
        if (IS_WINDOWS && process.env['PATHEXT']) {
            for (const extension of process.env['PATHEXT'].split(external_path_namespaceObject.delimiter)) {
                if (extension) {
                    extensions.push(extension);
                }
            }
        }
        // if it's rooted, return it if exists. otherwise return empty.
        if (isRooted(tool)) {
            const filePath = yield tryGetExecutablePath(tool, extensions);
            if (filePath) {
                return [filePath];
            }
            return [];
        }
        // if any path separators, return empty
        if (tool.includes(external_path_namespaceObject.sep)) {
            return [];
        }
        // build the list of directories
        //
        // Note, technically "where" checks the current directory on Windows. From a toolkit perspective,
        // it feels like we should not do this. Checking the current directory seems like more of a use
        // case of a shell, and the which() function exposed by the toolkit should strive for consistency
        // across platforms.
        const directories = [];
        if (process.env.PATH) {
            for (const p of process.env.PATH.split(external_path_namespaceObject.delimiter)) {
                if (p) {
                    directories.push(p);
                }
            }
        }
        // find all matches
        const matches = [];
        for (const directory of directories) {
            const filePath = yield tryGetExecutablePath(external_path_namespaceObject.join(directory, tool), extensions);
            if (filePath) {
                matches.push(filePath);
            }
        }
        return matches;
    });
}
function readCopyOptions(options) {
    const force = options.force == null ? true : options.force;
    const recursive = Boolean(options.recursive);
    const copySourceDirectory = options.copySourceDirectory == null
        ? true
        : Boolean(options.copySourceDirectory);
    return { force, recursive, copySourceDirectory };
}
function cpDirRecursive(sourceDir, destDir, currentDepth, force) {
    return io_awaiter(this, void 0, void 0, function* () {
        // Ensure there is not a run away recursive copy
        if (currentDepth >= 255)
            return;
        currentDepth++;
        yield mkdirP(destDir);
        const files = yield ioUtil.readdir(sourceDir);
        for (const fileName of files) {
            const srcFile = `${sourceDir}/${fileName}`;
            const destFile = `${destDir}/${fileName}`;
            const srcFileStat = yield ioUtil.lstat(srcFile);
            if (srcFileStat.isDirectory()) {
                // Recurse
                yield cpDirRecursive(srcFile, destFile, currentDepth, force);
            }
            else {
                yield io_copyFile(srcFile, destFile, force);
            }
        }
        // Change the mode for the newly created directory
        yield ioUtil.chmod(destDir, (yield ioUtil.stat(sourceDir)).mode);
    });
}
// Buffered file copy
function io_copyFile(srcFile, destFile, force) {
    return io_awaiter(this, void 0, void 0, function* () {
        if ((yield ioUtil.lstat(srcFile)).isSymbolicLink()) {
            // unlink/re-link it
            try {
                yield ioUtil.lstat(destFile);
                yield ioUtil.unlink(destFile);
            }
            catch (e) {
                // Try to override file permission
                if (e.code === 'EPERM') {
                    yield ioUtil.chmod(destFile, '0666');
                    yield ioUtil.unlink(destFile);
                }
                // other errors = it doesn't exist, no work to do
            }
            // Copy over symlink
            const symlinkFull = yield ioUtil.readlink(srcFile);
            yield ioUtil.symlink(symlinkFull, destFile, ioUtil.IS_WINDOWS ? 'junction' : null);
        }
        else if (!(yield ioUtil.exists(destFile)) || force) {
            yield ioUtil.copyFile(srcFile, destFile);
        }
    });
}
//# sourceMappingURL=io.js.map
;// CONCATENATED MODULE: external "timers"
const external_timers_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("timers");
;// CONCATENATED MODULE: ./node_modules/@actions/exec/lib/toolrunner.js
var toolrunner_awaiter = (undefined && undefined.__awaiter) || function (thisArg, _arguments, P, generator) {
    function adopt(value) { return value instanceof P ? value : new P(function (resolve) { resolve(value); }); }
    return new (P || (P = Promise))(function (resolve, reject) {
        function fulfilled(value) { try { step(generator.next(value)); } catch (e) { reject(e); } }
        function rejected(value) { try { step(generator["throw"](value)); } catch (e) { reject(e); } }
        function step(result) { result.done ? resolve(result.value) : adopt(result.value).then(fulfilled, rejected); }
        step((generator = generator.apply(thisArg, _arguments || [])).next());
    });
};







/* eslint-disable @typescript-eslint/unbound-method */
const toolrunner_IS_WINDOWS = process.platform === 'win32';
/*
 * Class for running command line tools. Handles quoting and arg parsing in a platform agnostic way.
 */
class ToolRunner extends external_events_.EventEmitter {
    constructor(toolPath, args, options) {
        super();
        if (!toolPath) {
            throw new Error("Parameter 'toolPath' cannot be null or empty.");
        }
        this.toolPath = toolPath;
        this.args = args || [];
        this.options = options || {};
    }
    _debug(message) {
        if (this.options.listeners && this.options.listeners.debug) {
            this.options.listeners.debug(message);
        }
    }
    _getCommandString(options, noPrefix) {
        const toolPath = this._getSpawnFileName();
        const args = this._getSpawnArgs(options);
        let cmd = noPrefix ? '' : '[command]'; // omit prefix when piped to a second tool
        if (toolrunner_IS_WINDOWS) {
            // Windows + cmd file
            if (this._isCmdFile()) {
                cmd += toolPath;
                for (const a of args) {
                    cmd += ` ${a}`;
                }
            }
            // Windows + verbatim
            else if (options.windowsVerbatimArguments) {
                cmd += `"${toolPath}"`;
                for (const a of args) {
                    cmd += ` ${a}`;
                }
            }
            // Windows (regular)
            else {
                cmd += this._windowsQuoteCmdArg(toolPath);
                for (const a of args) {
                    cmd += ` ${this._windowsQuoteCmdArg(a)}`;
                }
            }
        }
        else {
            // OSX/Linux - this can likely be improved with some form of quoting.
            // creating processes on Unix is fundamentally different than Windows.
            // on Unix, execvp() takes an arg array.
            cmd += toolPath;
            for (const a of args) {
                cmd += ` ${a}`;
            }
        }
        return cmd;
    }
    _processLineBuffer(data, strBuffer, onLine) {
        try {
            let s = strBuffer + data.toString();
            let n = s.indexOf(external_os_namespaceObject.EOL);
            while (n > -1) {
                const line = s.substring(0, n);
                onLine(line);
                // the rest of the string ...
                s = s.substring(n + external_os_namespaceObject.EOL.length);
                n = s.indexOf(external_os_namespaceObject.EOL);
            }
            return s;
        }
        catch (err) {
            // streaming lines to console is best effort.  Don't fail a build.
            this._debug(`error processing line. Failed with error ${err}`);
            return '';
        }
    }
    _getSpawnFileName() {
        if (toolrunner_IS_WINDOWS) {
            if (this._isCmdFile()) {
                return process.env['COMSPEC'] || 'cmd.exe';
            }
        }
        return this.toolPath;
    }
    _getSpawnArgs(options) {
        if (toolrunner_IS_WINDOWS) {
            if (this._isCmdFile()) {
                let argline = `/D /S /C "${this._windowsQuoteCmdArg(this.toolPath)}`;
                for (const a of this.args) {
                    argline += ' ';
                    argline += options.windowsVerbatimArguments
                        ? a
                        : this._windowsQuoteCmdArg(a);
                }
                argline += '"';
                return [argline];
            }
        }
        return this.args;
    }
    _endsWith(str, end) {
        return str.endsWith(end);
    }
    _isCmdFile() {
        const upperToolPath = this.toolPath.toUpperCase();
        return (this._endsWith(upperToolPath, '.CMD') ||
            this._endsWith(upperToolPath, '.BAT'));
    }
    _windowsQuoteCmdArg(arg) {
        // for .exe, apply the normal quoting rules that libuv applies
        if (!this._isCmdFile()) {
            return this._uvQuoteCmdArg(arg);
        }
        // otherwise apply quoting rules specific to the cmd.exe command line parser.
        // the libuv rules are generic and are not designed specifically for cmd.exe
        // command line parser.
        //
        // for a detailed description of the cmd.exe command line parser, refer to
        // http://stackoverflow.com/questions/4094699/how-does-the-windows-command-interpreter-cmd-exe-parse-scripts/7970912#7970912
        // need quotes for empty arg
        if (!arg) {
            return '""';
        }
        // determine whether the arg needs to be quoted
        const cmdSpecialChars = [
            ' ',
            '\t',
            '&',
            '(',
            ')',
            '[',
            ']',
            '{',
            '}',
            '^',
            '=',
            ';',
            '!',
            "'",
            '+',
            ',',
            '`',
            '~',
            '|',
            '<',
            '>',
            '"'
        ];
        let needsQuotes = false;
        for (const char of arg) {
            if (cmdSpecialChars.some(x => x === char)) {
                needsQuotes = true;
                break;
            }
        }
        // short-circuit if quotes not needed
        if (!needsQuotes) {
            return arg;
        }
        // the following quoting rules are very similar to the rules that by libuv applies.
        //
        // 1) wrap the string in quotes
        //
        // 2) double-up quotes - i.e. " => ""
        //
        //    this is different from the libuv quoting rules. libuv replaces " with \", which unfortunately
        //    doesn't work well with a cmd.exe command line.
        //
        //    note, replacing " with "" also works well if the arg is passed to a downstream .NET console app.
        //    for example, the command line:
        //          foo.exe "myarg:""my val"""
        //    is parsed by a .NET console app into an arg array:
        //          [ "myarg:\"my val\"" ]
        //    which is the same end result when applying libuv quoting rules. although the actual
        //    command line from libuv quoting rules would look like:
        //          foo.exe "myarg:\"my val\""
        //
        // 3) double-up slashes that precede a quote,
        //    e.g.  hello \world    => "hello \world"
        //          hello\"world    => "hello\\""world"
        //          hello\\"world   => "hello\\\\""world"
        //          hello world\    => "hello world\\"
        //
        //    technically this is not required for a cmd.exe command line, or the batch argument parser.
        //    the reasons for including this as a .cmd quoting rule are:
        //
        //    a) this is optimized for the scenario where the argument is passed from the .cmd file to an
        //       external program. many programs (e.g. .NET console apps) rely on the slash-doubling rule.
        //
        //    b) it's what we've been doing previously (by deferring to node default behavior) and we
        //       haven't heard any complaints about that aspect.
        //
        // note, a weakness of the quoting rules chosen here, is that % is not escaped. in fact, % cannot be
        // escaped when used on the command line directly - even though within a .cmd file % can be escaped
        // by using %%.
        //
        // the saving grace is, on the command line, %var% is left as-is if var is not defined. this contrasts
        // the line parsing rules within a .cmd file, where if var is not defined it is replaced with nothing.
        //
        // one option that was explored was replacing % with ^% - i.e. %var% => ^%var^%. this hack would
        // often work, since it is unlikely that var^ would exist, and the ^ character is removed when the
        // variable is used. the problem, however, is that ^ is not removed when %* is used to pass the args
        // to an external program.
        //
        // an unexplored potential solution for the % escaping problem, is to create a wrapper .cmd file.
        // % can be escaped within a .cmd file.
        let reverse = '"';
        let quoteHit = true;
        for (let i = arg.length; i > 0; i--) {
            // walk the string in reverse
            reverse += arg[i - 1];
            if (quoteHit && arg[i - 1] === '\\') {
                reverse += '\\'; // double the slash
            }
            else if (arg[i - 1] === '"') {
                quoteHit = true;
                reverse += '"'; // double the quote
            }
            else {
                quoteHit = false;
            }
        }
        reverse += '"';
        return reverse.split('').reverse().join('');
    }
    _uvQuoteCmdArg(arg) {
        // Tool runner wraps child_process.spawn() and needs to apply the same quoting as
        // Node in certain cases where the undocumented spawn option windowsVerbatimArguments
        // is used.
        //
        // Since this function is a port of quote_cmd_arg from Node 4.x (technically, lib UV,
        // see https://github.com/nodejs/node/blob/v4.x/deps/uv/src/win/process.c for details),
        // pasting copyright notice from Node within this function:
        //
        //      Copyright Joyent, Inc. and other Node contributors. All rights reserved.
        //
        //      Permission is hereby granted, free of charge, to any person obtaining a copy
        //      of this software and associated documentation files (the "Software"), to
        //      deal in the Software without restriction, including without limitation the
        //      rights to use, copy, modify, merge, publish, distribute, sublicense, and/or
        //      sell copies of the Software, and to permit persons to whom the Software is
        //      furnished to do so, subject to the following conditions:
        //
        //      The above copyright notice and this permission notice shall be included in
        //      all copies or substantial portions of the Software.
        //
        //      THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
        //      IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
        //      FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
        //      AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
        //      LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING
        //      FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS
        //      IN THE SOFTWARE.
        if (!arg) {
            // Need double quotation for empty argument
            return '""';
        }
        if (!arg.includes(' ') && !arg.includes('\t') && !arg.includes('"')) {
            // No quotation needed
            return arg;
        }
        if (!arg.includes('"') && !arg.includes('\\')) {
            // No embedded double quotes or backslashes, so I can just wrap
            // quote marks around the whole thing.
            return `"${arg}"`;
        }
        // Expected input/output:
        //   input : hello"world
        //   output: "hello\"world"
        //   input : hello""world
        //   output: "hello\"\"world"
        //   input : hello\world
        //   output: hello\world
        //   input : hello\\world
        //   output: hello\\world
        //   input : hello\"world
        //   output: "hello\\\"world"
        //   input : hello\\"world
        //   output: "hello\\\\\"world"
        //   input : hello world\
        //   output: "hello world\\" - note the comment in libuv actually reads "hello world\"
        //                             but it appears the comment is wrong, it should be "hello world\\"
        let reverse = '"';
        let quoteHit = true;
        for (let i = arg.length; i > 0; i--) {
            // walk the string in reverse
            reverse += arg[i - 1];
            if (quoteHit && arg[i - 1] === '\\') {
                reverse += '\\';
            }
            else if (arg[i - 1] === '"') {
                quoteHit = true;
                reverse += '\\';
            }
            else {
                quoteHit = false;
            }
        }
        reverse += '"';
        return reverse.split('').reverse().join('');
    }
    _cloneExecOptions(options) {
        options = options || {};
        const result = {
            cwd: options.cwd || process.cwd(),
            env: options.env || process.env,
            silent: options.silent || false,
            windowsVerbatimArguments: options.windowsVerbatimArguments || false,
            failOnStdErr: options.failOnStdErr || false,
            ignoreReturnCode: options.ignoreReturnCode || false,
            delay: options.delay || 10000
        };
        result.outStream = options.outStream || process.stdout;
        result.errStream = options.errStream || process.stderr;
        return result;
    }
    _getSpawnOptions(options, toolPath) {
        options = options || {};
        const result = {};
        result.cwd = options.cwd;
        result.env = options.env;
        result['windowsVerbatimArguments'] =
            options.windowsVerbatimArguments || this._isCmdFile();
        if (options.windowsVerbatimArguments) {
            result.argv0 = `"${toolPath}"`;
        }
        return result;
    }
    /**
     * Exec a tool.
     * Output will be streamed to the live console.
     * Returns promise with return code
     *
     * @param     tool     path to tool to exec
     * @param     options  optional exec options.  See ExecOptions
     * @returns   number
     */
    exec() {
        return toolrunner_awaiter(this, void 0, void 0, function* () {
            // root the tool path if it is unrooted and contains relative pathing
            if (!isRooted(this.toolPath) &&
                (this.toolPath.includes('/') ||
                    (toolrunner_IS_WINDOWS && this.toolPath.includes('\\')))) {
                // prefer options.cwd if it is specified, however options.cwd may also need to be rooted
                this.toolPath = external_path_namespaceObject.resolve(process.cwd(), this.options.cwd || process.cwd(), this.toolPath);
            }
            // if the tool is only a file name, then resolve it from the PATH
            // otherwise verify it exists (add extension on Windows if necessary)
            this.toolPath = yield which(this.toolPath, true);
            return new Promise((resolve, reject) => toolrunner_awaiter(this, void 0, void 0, function* () {
                this._debug(`exec tool: ${this.toolPath}`);
                this._debug('arguments:');
                for (const arg of this.args) {
                    this._debug(`   ${arg}`);
                }
                const optionsNonNull = this._cloneExecOptions(this.options);
                if (!optionsNonNull.silent && optionsNonNull.outStream) {
                    optionsNonNull.outStream.write(this._getCommandString(optionsNonNull) + external_os_namespaceObject.EOL);
                }
                const state = new ExecState(optionsNonNull, this.toolPath);
                state.on('debug', (message) => {
                    this._debug(message);
                });
                if (this.options.cwd && !(yield exists(this.options.cwd))) {
                    return reject(new Error(`The cwd: ${this.options.cwd} does not exist!`));
                }
                const fileName = this._getSpawnFileName();
                const cp = external_child_process_namespaceObject.spawn(fileName, this._getSpawnArgs(optionsNonNull), this._getSpawnOptions(this.options, fileName));
                let stdbuffer = '';
                if (cp.stdout) {
                    cp.stdout.on('data', (data) => {
                        if (this.options.listeners && this.options.listeners.stdout) {
                            this.options.listeners.stdout(data);
                        }
                        if (!optionsNonNull.silent && optionsNonNull.outStream) {
                            optionsNonNull.outStream.write(data);
                        }
                        stdbuffer = this._processLineBuffer(data, stdbuffer, (line) => {
                            if (this.options.listeners && this.options.listeners.stdline) {
                                this.options.listeners.stdline(line);
                            }
                        });
                    });
                }
                let errbuffer = '';
                if (cp.stderr) {
                    cp.stderr.on('data', (data) => {
                        state.processStderr = true;
                        if (this.options.listeners && this.options.listeners.stderr) {
                            this.options.listeners.stderr(data);
                        }
                        if (!optionsNonNull.silent &&
                            optionsNonNull.errStream &&
                            optionsNonNull.outStream) {
                            const s = optionsNonNull.failOnStdErr
                                ? optionsNonNull.errStream
                                : optionsNonNull.outStream;
                            s.write(data);
                        }
                        errbuffer = this._processLineBuffer(data, errbuffer, (line) => {
                            if (this.options.listeners && this.options.listeners.errline) {
                                this.options.listeners.errline(line);
                            }
                        });
                    });
                }
                cp.on('error', (err) => {
                    state.processError = err.message;
                    state.processExited = true;
                    state.processClosed = true;
                    state.CheckComplete();
                });
                cp.on('exit', (code) => {
                    state.processExitCode = code;
                    state.processExited = true;
                    this._debug(`Exit code ${code} received from tool '${this.toolPath}'`);
                    state.CheckComplete();
                });
                cp.on('close', (code) => {
                    state.processExitCode = code;
                    state.processExited = true;
                    state.processClosed = true;
                    this._debug(`STDIO streams have closed for tool '${this.toolPath}'`);
                    state.CheckComplete();
                });
                state.on('done', (error, exitCode) => {
                    if (stdbuffer.length > 0) {
                        this.emit('stdline', stdbuffer);
                    }
                    if (errbuffer.length > 0) {
                        this.emit('errline', errbuffer);
                    }
                    cp.removeAllListeners();
                    if (error) {
                        reject(error);
                    }
                    else {
                        resolve(exitCode);
                    }
                });
                if (this.options.input) {
                    if (!cp.stdin) {
                        throw new Error('child process missing stdin');
                    }
                    cp.stdin.end(this.options.input);
                }
            }));
        });
    }
}
/**
 * Convert an arg string to an array of args. Handles escaping
 *
 * @param    argString   string of arguments
 * @returns  string[]    array of arguments
 */
function argStringToArray(argString) {
    const args = [];
    let inQuotes = false;
    let escaped = false;
    let arg = '';
    function append(c) {
        // we only escape double quotes.
        if (escaped && c !== '"') {
            arg += '\\';
        }
        arg += c;
        escaped = false;
    }
    for (let i = 0; i < argString.length; i++) {
        const c = argString.charAt(i);
        if (c === '"') {
            if (!escaped) {
                inQuotes = !inQuotes;
            }
            else {
                append(c);
            }
            continue;
        }
        if (c === '\\' && escaped) {
            append(c);
            continue;
        }
        if (c === '\\' && inQuotes) {
            escaped = true;
            continue;
        }
        if (c === ' ' && !inQuotes) {
            if (arg.length > 0) {
                args.push(arg);
                arg = '';
            }
            continue;
        }
        append(c);
    }
    if (arg.length > 0) {
        args.push(arg.trim());
    }
    return args;
}
class ExecState extends external_events_.EventEmitter {
    constructor(options, toolPath) {
        super();
        this.processClosed = false; // tracks whether the process has exited and stdio is closed
        this.processError = '';
        this.processExitCode = 0;
        this.processExited = false; // tracks whether the process has exited
        this.processStderr = false; // tracks whether stderr was written to
        this.delay = 10000; // 10 seconds
        this.done = false;
        this.timeout = null;
        if (!toolPath) {
            throw new Error('toolPath must not be empty');
        }
        this.options = options;
        this.toolPath = toolPath;
        if (options.delay) {
            this.delay = options.delay;
        }
    }
    CheckComplete() {
        if (this.done) {
            return;
        }
        if (this.processClosed) {
            this._setResult();
        }
        else if (this.processExited) {
            this.timeout = (0,external_timers_namespaceObject.setTimeout)(ExecState.HandleTimeout, this.delay, this);
        }
    }
    _debug(message) {
        this.emit('debug', message);
    }
    _setResult() {
        // determine whether there is an error
        let error;
        if (this.processExited) {
            if (this.processError) {
                error = new Error(`There was an error when attempting to execute the process '${this.toolPath}'. This may indicate the process failed to start. Error: ${this.processError}`);
            }
            else if (this.processExitCode !== 0 && !this.options.ignoreReturnCode) {
                error = new Error(`The process '${this.toolPath}' failed with exit code ${this.processExitCode}`);
            }
            else if (this.processStderr && this.options.failOnStdErr) {
                error = new Error(`The process '${this.toolPath}' failed because one or more lines were written to the STDERR stream`);
            }
        }
        // clear the timeout
        if (this.timeout) {
            clearTimeout(this.timeout);
            this.timeout = null;
        }
        this.done = true;
        this.emit('done', error, this.processExitCode);
    }
    static HandleTimeout(state) {
        if (state.done) {
            return;
        }
        if (!state.processClosed && state.processExited) {
            const message = `The STDIO streams did not close within ${state.delay / 1000} seconds of the exit event from process '${state.toolPath}'. This may indicate a child process inherited the STDIO streams and has not yet exited.`;
            state._debug(message);
        }
        state._setResult();
    }
}
//# sourceMappingURL=toolrunner.js.map
;// CONCATENATED MODULE: ./node_modules/@actions/exec/lib/exec.js
var exec_awaiter = (undefined && undefined.__awaiter) || function (thisArg, _arguments, P, generator) {
    function adopt(value) { return value instanceof P ? value : new P(function (resolve) { resolve(value); }); }
    return new (P || (P = Promise))(function (resolve, reject) {
        function fulfilled(value) { try { step(generator.next(value)); } catch (e) { reject(e); } }
        function rejected(value) { try { step(generator["throw"](value)); } catch (e) { reject(e); } }
        function step(result) { result.done ? resolve(result.value) : adopt(result.value).then(fulfilled, rejected); }
        step((generator = generator.apply(thisArg, _arguments || [])).next());
    });
};


/**
 * Exec a command.
 * Output will be streamed to the live console.
 * Returns promise with return code
 *
 * @param     commandLine        command to execute (can include additional args). Must be correctly escaped.
 * @param     args               optional arguments for tool. Escaping is handled by the lib.
 * @param     options            optional exec options.  See ExecOptions
 * @returns   Promise<number>    exit code
 */
function exec_exec(commandLine, args, options) {
    return exec_awaiter(this, void 0, void 0, function* () {
        const commandArgs = tr.argStringToArray(commandLine);
        if (commandArgs.length === 0) {
            throw new Error(`Parameter 'commandLine' cannot be null or empty.`);
        }
        // Path to tool to execute should be first arg
        const toolPath = commandArgs[0];
        args = commandArgs.slice(1).concat(args || []);
        const runner = new tr.ToolRunner(toolPath, args, options);
        return runner.exec();
    });
}
/**
 * Exec a command and get the output.
 * Output will be streamed to the live console.
 * Returns promise with the exit code and collected stdout and stderr
 *
 * @param     commandLine           command to execute (can include additional args). Must be correctly escaped.
 * @param     args                  optional arguments for tool. Escaping is handled by the lib.
 * @param     options               optional exec options.  See ExecOptions
 * @returns   Promise<ExecOutput>   exit code, stdout, and stderr
 */
function getExecOutput(commandLine, args, options) {
    return exec_awaiter(this, void 0, void 0, function* () {
        var _a, _b;
        let stdout = '';
        let stderr = '';
        //Using string decoder covers the case where a mult-byte character is split
        const stdoutDecoder = new StringDecoder('utf8');
        const stderrDecoder = new StringDecoder('utf8');
        const originalStdoutListener = (_a = options === null || options === void 0 ? void 0 : options.listeners) === null || _a === void 0 ? void 0 : _a.stdout;
        const originalStdErrListener = (_b = options === null || options === void 0 ? void 0 : options.listeners) === null || _b === void 0 ? void 0 : _b.stderr;
        const stdErrListener = (data) => {
            stderr += stderrDecoder.write(data);
            if (originalStdErrListener) {
                originalStdErrListener(data);
            }
        };
        const stdOutListener = (data) => {
            stdout += stdoutDecoder.write(data);
            if (originalStdoutListener) {
                originalStdoutListener(data);
            }
        };
        const listeners = Object.assign(Object.assign({}, options === null || options === void 0 ? void 0 : options.listeners), { stdout: stdOutListener, stderr: stdErrListener });
        const exitCode = yield exec_exec(commandLine, args, Object.assign(Object.assign({}, options), { listeners }));
        //flush any remaining characters
        stdout += stdoutDecoder.end();
        stderr += stderrDecoder.end();
        return {
            exitCode,
            stdout,
            stderr
        };
    });
}
//# sourceMappingURL=exec.js.map
;// CONCATENATED MODULE: ./node_modules/@actions/core/lib/platform.js
var platform_awaiter = (undefined && undefined.__awaiter) || function (thisArg, _arguments, P, generator) {
    function adopt(value) { return value instanceof P ? value : new P(function (resolve) { resolve(value); }); }
    return new (P || (P = Promise))(function (resolve, reject) {
        function fulfilled(value) { try { step(generator.next(value)); } catch (e) { reject(e); } }
        function rejected(value) { try { step(generator["throw"](value)); } catch (e) { reject(e); } }
        function step(result) { result.done ? resolve(result.value) : adopt(result.value).then(fulfilled, rejected); }
        step((generator = generator.apply(thisArg, _arguments || [])).next());
    });
};


const getWindowsInfo = () => platform_awaiter(void 0, void 0, void 0, function* () {
    const { stdout: version } = yield exec.getExecOutput('powershell -command "(Get-CimInstance -ClassName Win32_OperatingSystem).Version"', undefined, {
        silent: true
    });
    const { stdout: name } = yield exec.getExecOutput('powershell -command "(Get-CimInstance -ClassName Win32_OperatingSystem).Caption"', undefined, {
        silent: true
    });
    return {
        name: name.trim(),
        version: version.trim()
    };
});
const getMacOsInfo = () => platform_awaiter(void 0, void 0, void 0, function* () {
    var _a, _b, _c, _d;
    const { stdout } = yield exec.getExecOutput('sw_vers', undefined, {
        silent: true
    });
    const version = (_b = (_a = stdout.match(/ProductVersion:\s*(.+)/)) === null || _a === void 0 ? void 0 : _a[1]) !== null && _b !== void 0 ? _b : '';
    const name = (_d = (_c = stdout.match(/ProductName:\s*(.+)/)) === null || _c === void 0 ? void 0 : _c[1]) !== null && _d !== void 0 ? _d : '';
    return {
        name,
        version
    };
});
const getLinuxInfo = () => platform_awaiter(void 0, void 0, void 0, function* () {
    const { stdout } = yield exec.getExecOutput('lsb_release', ['-i', '-r', '-s'], {
        silent: true
    });
    const [name, version] = stdout.trim().split('\n');
    return {
        name,
        version
    };
});
const platform = external_os_namespaceObject.platform();
const arch = external_os_namespaceObject.arch();
const isWindows = platform === 'win32';
const isMacOS = platform === 'darwin';
const isLinux = platform === 'linux';
function getDetails() {
    return platform_awaiter(this, void 0, void 0, function* () {
        return Object.assign(Object.assign({}, (yield (isWindows
            ? getWindowsInfo()
            : isMacOS
                ? getMacOsInfo()
                : getLinuxInfo()))), { platform,
            arch,
            isWindows,
            isMacOS,
            isLinux });
    });
}
//# sourceMappingURL=platform.js.map
;// CONCATENATED MODULE: ./node_modules/@actions/core/lib/core.js
var core_awaiter = (undefined && undefined.__awaiter) || function (thisArg, _arguments, P, generator) {
    function adopt(value) { return value instanceof P ? value : new P(function (resolve) { resolve(value); }); }
    return new (P || (P = Promise))(function (resolve, reject) {
        function fulfilled(value) { try { step(generator.next(value)); } catch (e) { reject(e); } }
        function rejected(value) { try { step(generator["throw"](value)); } catch (e) { reject(e); } }
        function step(result) { result.done ? resolve(result.value) : adopt(result.value).then(fulfilled, rejected); }
        step((generator = generator.apply(thisArg, _arguments || [])).next());
    });
};






/**
 * The code to exit an action
 */
var ExitCode;
(function (ExitCode) {
    /**
     * A code indicating that the action was successful
     */
    ExitCode[ExitCode["Success"] = 0] = "Success";
    /**
     * A code indicating that the action was a failure
     */
    ExitCode[ExitCode["Failure"] = 1] = "Failure";
})(ExitCode || (ExitCode = {}));
//-----------------------------------------------------------------------
// Variables
//-----------------------------------------------------------------------
/**
 * Sets env variable for this action and future actions in the job
 * @param name the name of the variable to set
 * @param val the value of the variable. Non-string values will be converted to a string via JSON.stringify
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function exportVariable(name, val) {
    const convertedVal = toCommandValue(val);
    process.env[name] = convertedVal;
    const filePath = process.env['GITHUB_ENV'] || '';
    if (filePath) {
        return issueFileCommand('ENV', prepareKeyValueMessage(name, val));
    }
    issueCommand('set-env', { name }, convertedVal);
}
/**
 * Registers a secret which will get masked from logs
 *
 * @param secret - Value of the secret to be masked
 * @remarks
 * This function instructs the Actions runner to mask the specified value in any
 * logs produced during the workflow run. Once registered, the secret value will
 * be replaced with asterisks (***) whenever it appears in console output, logs,
 * or error messages.
 *
 * This is useful for protecting sensitive information such as:
 * - API keys
 * - Access tokens
 * - Authentication credentials
 * - URL parameters containing signatures (SAS tokens)
 *
 * Note that masking only affects future logs; any previous appearances of the
 * secret in logs before calling this function will remain unmasked.
 *
 * @example
 * ```typescript
 * // Register an API token as a secret
 * const apiToken = "abc123xyz456";
 * setSecret(apiToken);
 *
 * // Now any logs containing this value will show *** instead
 * console.log(`Using token: ${apiToken}`); // Outputs: "Using token: ***"
 * ```
 */
function core_setSecret(secret) {
    command_issueCommand('add-mask', {}, secret);
}
/**
 * Prepends inputPath to the PATH (for this action and future actions)
 * @param inputPath
 */
function addPath(inputPath) {
    const filePath = process.env['GITHUB_PATH'] || '';
    if (filePath) {
        issueFileCommand('PATH', inputPath);
    }
    else {
        issueCommand('add-path', {}, inputPath);
    }
    process.env['PATH'] = `${inputPath}${path.delimiter}${process.env['PATH']}`;
}
/**
 * Gets the value of an input.
 * Unless trimWhitespace is set to false in InputOptions, the value is also trimmed.
 * Returns an empty string if the value is not defined.
 *
 * @param     name     name of the input to get
 * @param     options  optional. See InputOptions.
 * @returns   string
 */
function getInput(name, options) {
    const val = process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] || '';
    if (options && options.required && !val) {
        throw new Error(`Input required and not supplied: ${name}`);
    }
    if (options && options.trimWhitespace === false) {
        return val;
    }
    return val.trim();
}
/**
 * Gets the values of an multiline input.  Each value is also trimmed.
 *
 * @param     name     name of the input to get
 * @param     options  optional. See InputOptions.
 * @returns   string[]
 *
 */
function getMultilineInput(name, options) {
    const inputs = getInput(name, options)
        .split('\n')
        .filter(x => x !== '');
    if (options && options.trimWhitespace === false) {
        return inputs;
    }
    return inputs.map(input => input.trim());
}
/**
 * Gets the input value of the boolean type in the YAML 1.2 "core schema" specification.
 * Support boolean input list: `true | True | TRUE | false | False | FALSE` .
 * The return value is also in boolean type.
 * ref: https://yaml.org/spec/1.2/spec.html#id2804923
 *
 * @param     name     name of the input to get
 * @param     options  optional. See InputOptions.
 * @returns   boolean
 */
function getBooleanInput(name, options) {
    const trueValue = ['true', 'True', 'TRUE'];
    const falseValue = ['false', 'False', 'FALSE'];
    const val = getInput(name, options);
    if (trueValue.includes(val))
        return true;
    if (falseValue.includes(val))
        return false;
    throw new TypeError(`Input does not meet YAML 1.2 "Core Schema" specification: ${name}\n` +
        `Support boolean input list: \`true | True | TRUE | false | False | FALSE\``);
}
/**
 * Sets the value of an output.
 *
 * @param     name     name of the output to set
 * @param     value    value to store. Non-string values will be converted to a string via JSON.stringify
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function setOutput(name, value) {
    const filePath = process.env['GITHUB_OUTPUT'] || '';
    if (filePath) {
        return file_command_issueFileCommand('OUTPUT', file_command_prepareKeyValueMessage(name, value));
    }
    process.stdout.write(external_os_namespaceObject.EOL);
    command_issueCommand('set-output', { name }, utils_toCommandValue(value));
}
/**
 * Enables or disables the echoing of commands into stdout for the rest of the step.
 * Echoing is disabled by default if ACTIONS_STEP_DEBUG is not set.
 *
 */
function setCommandEcho(enabled) {
    issue('echo', enabled ? 'on' : 'off');
}
//-----------------------------------------------------------------------
// Results
//-----------------------------------------------------------------------
/**
 * Sets the action status to failed.
 * When the action exits it will be with an exit code of 1
 * @param message add error issue message
 */
function setFailed(message) {
    process.exitCode = ExitCode.Failure;
    error(message);
}
//-----------------------------------------------------------------------
// Logging Commands
//-----------------------------------------------------------------------
/**
 * Gets whether Actions Step Debug is on or not
 */
function isDebug() {
    return process.env['RUNNER_DEBUG'] === '1';
}
/**
 * Writes debug message to user log
 * @param message debug message
 */
function core_debug(message) {
    command_issueCommand('debug', {}, message);
}
/**
 * Adds an error issue
 * @param message error issue message. Errors will be converted to string via toString()
 * @param properties optional properties to add to the annotation.
 */
function error(message, properties = {}) {
    command_issueCommand('error', utils_toCommandProperties(properties), message instanceof Error ? message.toString() : message);
}
/**
 * Adds a warning issue
 * @param message warning issue message. Errors will be converted to string via toString()
 * @param properties optional properties to add to the annotation.
 */
function warning(message, properties = {}) {
    command_issueCommand('warning', utils_toCommandProperties(properties), message instanceof Error ? message.toString() : message);
}
/**
 * Adds a notice issue
 * @param message notice issue message. Errors will be converted to string via toString()
 * @param properties optional properties to add to the annotation.
 */
function notice(message, properties = {}) {
    issueCommand('notice', toCommandProperties(properties), message instanceof Error ? message.toString() : message);
}
/**
 * Writes info to log with console.log.
 * @param message info message
 */
function info(message) {
    process.stdout.write(message + external_os_namespaceObject.EOL);
}
/**
 * Begin an output group.
 *
 * Output until the next `groupEnd` will be foldable in this group
 *
 * @param name The name of the output group
 */
function startGroup(name) {
    command_issue('group', name);
}
/**
 * End an output group.
 */
function endGroup() {
    command_issue('endgroup');
}
/**
 * Wrap an asynchronous function call in a group.
 *
 * Returns the same type as the function itself.
 *
 * @param name The name of the group
 * @param fn The function to wrap in the group
 */
function group(name, fn) {
    return core_awaiter(this, void 0, void 0, function* () {
        startGroup(name);
        let result;
        try {
            result = yield fn();
        }
        finally {
            endGroup();
        }
        return result;
    });
}
//-----------------------------------------------------------------------
// Wrapper action state
//-----------------------------------------------------------------------
/**
 * Saves state for current action, the state can only be retrieved by this action's post job execution.
 *
 * @param     name     name of the state to store
 * @param     value    value to store. Non-string values will be converted to a string via JSON.stringify
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function saveState(name, value) {
    const filePath = process.env['GITHUB_STATE'] || '';
    if (filePath) {
        return file_command_issueFileCommand('STATE', file_command_prepareKeyValueMessage(name, value));
    }
    command_issueCommand('save-state', { name }, utils_toCommandValue(value));
}
/**
 * Gets the value of an state set by this action's main execution.
 *
 * @param     name     name of the state to get
 * @returns   string
 */
function getState(name) {
    return process.env[`STATE_${name}`] || '';
}
function getIDToken(aud) {
    return core_awaiter(this, void 0, void 0, function* () {
        return yield OidcClient.getIDToken(aud);
    });
}
/**
 * Summary exports
 */

/**
 * @deprecated use core.summary
 */

/**
 * Path exports
 */

/**
 * Platform utilities exports
 */

//# sourceMappingURL=core.js.map
;// CONCATENATED MODULE: ./src/toolkit/actions.ts

/** The toolkit on @actions/core, as the runner (and @github/local-action's stand-in) provides it. */
const actionsToolkit = {
    getInput: (name, options) => getInput(name, { trimWhitespace: options?.trim ?? true }),
    setOutput: (name, value) => setOutput(name, value),
    saveState: (name, value) => saveState(name, value),
    getState: name => getState(name),
    info: message => info(message),
    debug: message => core_debug(message),
    warning: (message, properties) => warning(message, properties),
    error: (message, properties) => error(message, properties),
    group: (title, fn) => group(title, fn),
    setSecret: secret => core_setSecret(secret),
    writeSummary: async (html) => {
        // A run by hand has no GITHUB_STEP_SUMMARY.
        if (!process.env.GITHUB_STEP_SUMMARY)
            return;
        await summary.emptyBuffer().addRaw(html).write();
    },
    // Not core.setFailed (it adds an annotation without a title) nor core.ExitCode (toolkit stand-ins lack it).
    fail: () => {
        process.exitCode = 1;
    }
};

;// CONCATENATED MODULE: ./src/connect.ts







const defaults = { toolkit: actionsToolkit, clock: systemClock };
/** The inputs, checked; every secret among them masked before anything can print it. Shared by main and post. */
function readSettings(toolkit) {
    const settings = getSettings((name, options) => toolkit.getInput(name, options));
    for (const secret of settings.secrets)
        toolkit.setSecret(secret);
    return settings;
}
/** The site's API with the authenticator for auth-type, and the engine signed in with the same; dispose the client and the engine when done. */
async function connect(settings, clock, log) {
    const auth = await createAuthenticator(settings.auth, { url: settings.url, userAgent: settings.userAgent, log });
    const client = new QrsClient({
        url: settings.url,
        userAgent: settings.userAgent,
        auth,
        tls: { ca: settings.caCert, serverName: settings.tlsServerName, insecure: settings.insecureSkipTlsVerify },
        requestTimeoutMs: settings.requestTimeoutMs,
        clock,
        log
    });
    const api = new QrsApi(client);
    const engine = new EngineConnector({
        url: settings.engineUrl,
        auth,
        tls: { ca: settings.caCert, serverName: settings.tlsServerName, insecure: settings.insecureSkipTlsVerify },
        userAgent: settings.userAgent,
        requestTimeoutMs: settings.requestTimeoutMs,
        log,
        // The cheapest QRS call: through the client, it signs in again when the proxy session expired.
        refresh: () => api.about()
    });
    return { api, auth, client, engine };
}

;// CONCATENATED MODULE: ./src/reload/start-record.ts




/** "task 'Reload Sales'" or "app 'Budget'": what a message names. */
function startedWhat(record) {
    if (record.engine)
        return `the engine reload of app '${record.name}'`;
    return record.appId ? `app '${record.name}'` : `task '${record.name}'`;
}
/** Our user as a message names it. */
function userName(record) {
    if (!record.user)
        return 'any user (the inputs do not name one)';
    return record.user.startsWith('\\') ? record.user.slice(1) : record.user;
}
/** The executions of the record's task (or app) running now that were not running before it, run by our user. */
async function startedSince(api, record) {
    const before = new Set(record.before.map(id => id.toLowerCase()));
    return ((await runningSessions(api, record))
        .filter(session => (0,util_ids/* isGuid */.W_)(session.id) && !before.has(session.id.toLowerCase()) && runsAs(session.user, record.user))
        .map(session => ({ executionId: session.id, taskId: record.taskId ?? session.reloadTask?.id ?? session.externalProgramTask?.id ?? '' }))
        // Both go into request paths: GUIDs only.
        .filter(found => (0,util_ids/* isGuid */.W_)(found.taskId)));
}
/** The sessions of the record's task (or app); none when the server does not serve the list (nothing can be told). */
async function runningSessions(api, record) {
    if (record.appId)
        return api.appExecutionSessions(record.appId);
    const sessions = await api.taskExecutionSessions({ id: record.taskId ?? '', name: record.name, taskType: record.external ? 1 : 0 });
    return 'notKnown' in sessions ? [] : sessions;
}
/** Looks at most `lookMs` for what the start started (a start just sent may take a moment to show): none, one, or several. */
async function lookForStarted(api, record, { clock, lookMs }) {
    const outcome = await poll_poll({
        clock,
        deadline: clock.now() + lookMs,
        read: () => startedSince(api, record),
        retry: isTransient,
        done: found => found.length > 0,
        next: () => LOOK_GAP_MS
    });
    return outcome.done ? outcome.value : [];
}
const LOOK_GAP_MS = 500;
/**
 * Whether a session's `user` is our user. The QRS writes it as one string, `DIRECTORY\userId` (the
 * `UserDirectory=...; UserId=...` form is read too); names compare case-insensitively, as Qlik's do.
 * A directory either side does not know is not compared; a session without a user is nobody's we know.
 */
function runsAs(sessionUser, ours) {
    if (!ours)
        return true;
    const them = parseUser(sessionUser ?? '');
    const us = parseUser(ours);
    if (!them.userId)
        return false;
    return (0,util_ids/* sameText */.QV)(them.userId, us.userId) && (!them.directory || !us.directory || (0,util_ids/* sameText */.QV)(them.directory, us.directory));
}

;// CONCATENATED MODULE: ./src/reload/status.ts
/** QRS TaskExecutionStatus, complete (GET /qrs/about/api/enums lists the same). */
const STATUS_NAMES = [
    'NeverStarted', // 0
    'Triggered', // 1
    'Started', // 2
    'Queued', // 3: waits for a free reload slot on the node
    'AbortInitiated', // 4
    'Aborting', // 5
    'Aborted', // 6
    'FinishedSuccess', // 7
    'FinishedFail', // 8
    'Skipped', // 9
    'Retry', // 10: another attempt follows
    'Error', // 11
    'Reset', // 12
    'DistributionQueue', // 13
    'DistributionRunning' // 14
];
const SUCCESS = 7;
/** Final statuses that count as a failure: 6 Aborted, 8 FinishedFail, 11 Error, 12 Reset. */
const FAILED = new Set([6, 8, 11, 12]);
/** Statuses that end an execution: the failures, 7 FinishedSuccess and 9 Skipped. */
const FINAL = new Set([...FAILED, SUCCESS, 9]);
function statusName(code) {
    return STATUS_NAMES[code] ?? `Unknown(${code})`;
}
function status_isFinal(code) {
    return FINAL.has(code);
}
function isSuccess(code) {
    return code === SUCCESS;
}
/** Ended without success and not skipped: what fires a "TaskFail" trigger. */
function isFailed(code) {
    return FAILED.has(code);
}
/** "FinishedFail (8)" */
function describeStatus(code) {
    return `${statusName(code)} (${code})`;
}

;// CONCATENATED MODULE: ./src/reload/poller.ts







/**
 * A tick also takes along every execution due within this share of its own planned gap: read a little
 * early, at no extra request, so that executions of one step settle into one read per tick.
 */
const COALESCE_SHARE = 0.5;
const HEARTBEAT_MS = (/* unused pure expression or super */ null && (5 * 60_000));
/**
 * How long a wait rides out the QRS's own answers with wrong fields: a glitch passes, but an answer that
 * keeps coming so is the server's, and the step says so well before a long timeout.
 */
const WRONG_FIELDS_FOR_MS = 20_000;
/**
 * Waits for any number of executions with one loop: each keeps its own schedule (schedule.ts; the safety
 * poll with push), and each tick reads every execution due then in one request (the sessions of those
 * that run, `id eq a or id eq b ...`), then the results of those that ended in one more. The next tick
 * is the earliest any of them needs. Qlik's documented wait per execution: its session until it is gone,
 * then its results, the latest attempt deciding. An outage (5xx, 429, timeouts, resets, refused
 * connections, and the surprises of isOutage: an HTML page, a wrong answer (for WRONG_FIELDS_FOR_MS), a
 * DNS failure, a 401 after signing in again) is ridden out up to each one's timeout, told in two lines per execution: the
 * executions run on without us. No read outlives the timeout of an execution it is for (reader.until).
 * With one execution it makes the requests a wait of its own made.
 */
class poller_ExecutionPoller {
    reader;
    clock;
    watches = new Set();
    random;
    running;
    /** Cuts the loop's sleep short: a new wait, a wake-up, a cancelled one. */
    interrupt;
    /** Failed ticks in a row: the backoff of an outage. */
    failures = 0;
    /** The server refused a batched read (or answered it without ids): one read per execution from then on. */
    batchesRefused = false;
    constructor(reader, clock, random) {
        this.reader = reader;
        this.clock = clock;
        this.random = random ?? Math.random;
    }
    /** Waits for this execution to end, up to `timeoutMs` from now. */
    wait(executionId, options) {
        return new Promise((resolve, reject) => {
            const { signal } = options;
            // The signal's reason is what the caller aborted with: passed on as it is.
            // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
            if (signal?.aborted)
                return reject(signal.reason);
            const now = this.clock.now();
            const forecast = options.forecast ?? options.expectedMs;
            // With a forecast the first check is the schedule's rather than one at once: the start has just
            // answered, and a check now says nothing the forecast does not (one request fewer per run).
            const first = forecast !== undefined && !options.push ? nextGap(0, forecast, options, this.random) : 0;
            const aborted = () => {
                if (!this.watches.delete(watch))
                    return;
                // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
                reject(signal.reason);
                this.interrupt?.();
            };
            const watch = {
                id: executionId,
                options,
                started: now,
                deadline: now + options.timeoutMs,
                due: Math.min(now + first, now + options.timeoutMs),
                gap: first,
                forecast,
                sessionEnded: false,
                wakePending: false,
                woken: false,
                attempts: 0,
                quietSince: now,
                outage: new Outage(this.clock, options.log ?? (() => { }), `still waiting for execution ${executionId}`),
                settle: outcome => {
                    signal?.removeEventListener('abort', aborted);
                    this.watches.delete(watch);
                    // What the read failed with, passed on as it is (the callers tell errors apart by class).
                    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
                    if ('error' in outcome)
                        reject(outcome.error);
                    else
                        resolve(outcome);
                }
            };
            signal?.addEventListener('abort', aborted, { once: true });
            options.forecastLater?.then(later => (watch.forecast = later ?? watch.forecast), () => undefined);
            this.watches.add(watch);
            this.start();
        });
    }
    /** A push callback: every wait with push reads its results at once (the listener bounds how often). */
    wake() {
        let woke = false;
        for (const watch of this.watches) {
            if (!watch.options.push)
                continue;
            watch.wakePending = true;
            watch.due = this.clock.now();
            woke = true;
        }
        if (woke)
            this.interrupt?.();
    }
    start() {
        if (this.running)
            return this.interrupt?.();
        this.running = (async () => {
            // The waits added in this same turn join the first tick.
            await Promise.resolve();
            await poll({
                clock: this.clock,
                read: () => this.tick(),
                done: () => this.watches.size === 0,
                next: () => Math.max(0, Math.min(...[...this.watches].map(w => w.due)) - this.clock.now()),
                sleep: ms => this.sleep(ms)
            });
        })().finally(() => {
            this.running = undefined;
            if (this.watches.size > 0)
                this.start();
        });
    }
    async sleep(ms) {
        const cut = new AbortController();
        this.interrupt = () => cut.abort();
        try {
            await this.clock.sleep(ms, cut.signal);
        }
        catch {
            // Cut short on purpose: the loop plans again.
        }
        finally {
            this.interrupt = undefined;
        }
    }
    /** Reads every execution due now (or soon, see COALESCE_SHARE) and settles those that ended. */
    async tick() {
        const now = this.clock.now();
        const batch = [...this.watches].filter(w => w.due <= now + COALESCE_SHARE * w.gap || w.wakePending);
        if (batch.length === 0)
            return;
        for (const watch of batch) {
            watch.woken = watch.wakePending;
            watch.wakePending = false;
        }
        const failures = new Map();
        const cut = new Set();
        try {
            await this.look(batch, failures, cut);
        }
        catch (error) {
            // Not a read's failure (those are in `failures`): it ends the waits it concerned.
            for (const watch of batch)
                failures.set(watch, error);
        }
        const after = this.clock.now();
        const attempt = failures.size > 0 ? this.failures++ : (this.failures = 0);
        const jitter = this.random();
        const shared = batch.length > 1 ? () => jitter : undefined;
        for (const watch of batch) {
            if (!this.watches.has(watch))
                continue;
            if (failures.has(watch))
                this.failed(watch, failures.get(watch), after, attempt);
            else if (after >= watch.deadline)
                watch.settle(this.timeout(watch, after));
            else if (cut.has(watch))
                this.again(watch, after);
            else
                this.plan(watch, after, shared);
        }
    }
    /** The sessions of those that were running, then the results of those that ended (or were woken). */
    async look(batch, failures, cut) {
        const open = (watch) => this.watches.has(watch) && !failures.has(watch) && !cut.has(watch);
        const running = batch.filter(w => !w.sessionEnded && !w.woken);
        const sessions = await this.read(running, (reader, ids) => reader.executionSessionsOf?.(ids), async (reader, id) => {
            const session = await reader.executionSession(id);
            return session ? [session] : [];
        }, session => session.id, { failures, cut });
        for (const watch of running.filter(open)) {
            this.answered(watch);
            const session = sessions.get(watch.id.toLowerCase())?.[0];
            if (session)
                this.sawSession(watch, session);
            else
                watch.sessionEnded = true;
        }
        // After a callback the result may be final while the session is still being removed: look at once.
        // The session can also vanish a moment before the last result shows its final status.
        const ended = batch.filter(w => open(w) && (w.sessionEnded || w.woken));
        const results = await this.read(ended, (reader, ids) => reader.executionResultsOf?.(ids), 
        // Read one by one, a result need not name its execution: it is that id's.
        async (reader, id) => (await reader.executionResults(id)).map(result => ({ ...result, executionID: result.executionID ?? id })), result => result.executionID, { failures, cut });
        for (const watch of ended.filter(open)) {
            this.answered(watch);
            const attempts = results.get(watch.id.toLowerCase()) ?? [];
            watch.attempts = attempts.length;
            watch.latest = latestAttempt(attempts);
            this.observe(watch, watch.latest?.status);
            watch.node = watch.latest?.executingNodeName || watch.node;
            if (watch.latest && isFinal(watch.latest.status))
                watch.settle({ kind: 'finished', result: watch.latest, attempts: watch.attempts });
        }
    }
    /**
     * One read for these executions: batched when there are several and the reader and the server allow
     * it, else one each. A batched read's failure is every member's; a read of one, that one's alone. A
     * server that refuses the batched filter (400, 404) or answers without the ids that tell the entries
     * apart gets one read per execution from then on. A read is cut at the earliest timeout of those it is
     * for: one that failed at that moment was cut for that one's sake, and the others are looked at again
     * (`cut`), not told of an outage.
     */
    async read(watches, batched, one, idOf, { failures, cut }) {
        if (watches.length > 1 && !this.batchesRefused) {
            const until = Math.min(...watches.map(w => w.deadline));
            try {
                const entries = await batched(this.until(until), watches.map(w => w.id));
                if (entries && entries.every(entry => idOf(entry)))
                    return byId(entries, idOf);
                if (entries)
                    this.batchesRefused = true;
            }
            catch (error) {
                if (!(error instanceof QrsError && (error.status === 400 || error.status === 404))) {
                    const now = this.clock.now();
                    for (const watch of watches) {
                        if (now >= until && watch.deadline > now)
                            cut.add(watch);
                        else
                            failures.set(watch, error);
                    }
                    return new Map();
                }
                this.batchesRefused = true;
            }
        }
        const entries = [];
        for (const watch of watches) {
            if (!this.watches.has(watch))
                continue;
            try {
                entries.push(...(await one(this.until(watch.deadline), watch.id)));
            }
            catch (error) {
                failures.set(watch, error);
            }
        }
        return byId(entries, idOf);
    }
    /** The reader whose requests end by `deadline` (the reader itself when it cannot be told). */
    until(deadline) {
        return this.reader.until?.(deadline) ?? this.reader;
    }
    /** A look cut short for another execution's timeout: this one is looked at again at once, no outage said. */
    again(watch, now) {
        watch.wakePending ||= watch.woken;
        watch.due = now;
        watch.gap = 0;
    }
    sawSession(watch, session) {
        this.observe(watch, session.executionResult?.status);
        watch.node = session.executionResult?.executingNodeName || watch.node;
        const { onHeartbeat, heartbeatMs = HEARTBEAT_MS } = watch.options;
        const now = this.clock.now();
        if (onHeartbeat && now - watch.quietSince >= heartbeatMs) {
            watch.quietSince = now;
            onHeartbeat({ elapsedMs: now - watch.started, status: watch.lastStatus, node: watch.node });
        }
    }
    observe(watch, status) {
        if (status === undefined || status === watch.lastStatus)
            return;
        watch.lastStatus = status;
        watch.quietSince = this.clock.now();
        watch.options.onStatus?.(status);
    }
    /**
     * The next look: session gone but result not final, a moment later; push, the safety poll; else the
     * schedule. Without history, an execution read with others is looked at as if it were half as old (half
     * the gap, one jitter for the tick): a look in a shared read costs a share of a request, and the ends
     * of executions waited for together fall between the same two ticks, so their lags go together; half
     * the gap halves that shared lag for at most twice one execution's requests.
     */
    plan(watch, now, shared) {
        const { maxPollIntervalMs, push } = watch.options;
        const age = now - watch.started;
        const gap = watch.sessionEnded
            ? pollInterval(0, maxPollIntervalMs, this.random) * 2
            : push
                ? push.safetyPollMs
                : shared && watch.forecast === undefined
                    ? pollInterval(age / 2, maxPollIntervalMs, shared)
                    : nextGap(age, watch.forecast, { maxPollIntervalMs }, this.random);
        watch.gap = gap;
        // A wake-up that came during the look asks for another one now.
        watch.due = Math.min(watch.wakePending ? now : now + gap, watch.deadline);
    }
    /**
     * A look that failed: for trouble that passes (isOutage), the execution says once that the QRS is not
     * answering and is looked at again after a backoff, until its timeout; anything else ends its wait.
     */
    failed(watch, error, now, attempt) {
        if (!isOutage(error))
            return watch.settle({ error });
        if (error instanceof WrongFieldsAnswer) {
            watch.wrongSince ??= now;
            const seconds = Math.round((now - watch.wrongSince) / 1000);
            if (now - watch.wrongSince >= WRONG_FIELDS_FOR_MS) {
                const line = `It answered so for ${seconds} s while the step waited for execution ${watch.id}, which may still be running: see the task in the QMC.`;
                return watch.settle({ error: error.seenFor(line) });
            }
        }
        else {
            watch.wrongSince = undefined;
        }
        watch.wakePending ||= watch.woken;
        if (now >= watch.deadline)
            return watch.settle(this.timeout(watch, now, new StillDown(error).message));
        watch.outage.failed(error, watch.deadline - now);
        watch.due = Math.min(now + retryDelay(error, attempt, this.random), watch.deadline);
        watch.gap = 0;
    }
    answered(watch) {
        watch.outage.answered();
        watch.wrongSince = undefined;
    }
    timeout(watch, now, unanswered) {
        const { sessionEnded, lastStatus, latest, attempts } = watch;
        return { kind: 'timeout', elapsedMs: now - watch.started, sessionEnded, lastStatus, result: latest, attempts, ...(unanswered ? { unanswered } : {}) };
    }
}
/** Entities by the execution they belong to (lower case). */
function byId(items, idOf) {
    const map = new Map();
    for (const item of items) {
        const id = idOf(item)?.toLowerCase();
        if (id)
            map.set(id, [...(map.get(id) ?? []), item]);
    }
    return map;
}

;// CONCATENATED MODULE: ./src/reload/dates.ts
/** The QRS writes unset dates as 1753-01-01T00:00:00.000Z (SQL Server's minimum). */
function isUnset(value) {
    if (!value)
        return true;
    const time = Date.parse(value);
    return Number.isNaN(time) || new Date(time).getUTCFullYear() <= 1753;
}
/** An ISO 8601 time, or '' when the QRS left it unset. */
function realTime(value) {
    return isUnset(value) ? '' : new Date(Date.parse(value)).toISOString();
}

;// CONCATENATED MODULE: ./src/reload/watch.ts


/** Without history (see schedule.ts): short gaps while the reload is young, growing to a tenth of its age, capped. */
function watch_pollInterval(elapsedMs, maxMs, random) {
    return jittered(pollGap(elapsedMs, undefined, { maxPollIntervalMs: maxMs }), random);
}
/** The latest attempt: by start time (an attempt not started yet is the newest), then stop time. */
function watch_latestAttempt(results) {
    const time = (value) => (isUnset(value) ? Infinity : Date.parse(value));
    return results
        .map((result, index) => ({ result, index }))
        .sort((a, b) => time(a.result.startTime) - time(b.result.startTime) || time(a.result.stopTime) - time(b.result.stopTime) || a.index - b.index)
        .at(-1)?.result;
}

;// CONCATENATED MODULE: ./src/reload/wait.ts


/**
 * Qlik's documented wait for one execution: poll its session until it is gone (404), then read its
 * results; one result per attempt, the latest attempt decides. Results of earlier runs never match:
 * they belong to other execution ids. An outage is ridden out up to the timeout: the execution runs on
 * without us. A poller of its own (poller.ts), which several executions of a step share instead.
 */
function waitForExecution(reader, executionId, options) {
    return new ExecutionPoller(reader, options.clock, options.random).wait(executionId, options);
}

;// CONCATENATED MODULE: ./src/reload/stop.ts







/** 4 AbortInitiated, 5 Aborting: a stop already reached it. */
const STOPPING = new Set([4, 5]);
/** Once the stop is sent, ours is read this often until it ends. */
const STOP_POLL_MS = 250;
/** Each request of a stop gets at most this share of its budget: one that hangs leaves time to read another way and to stop. */
const REQUESTS_PER_BUDGET = 3;
const MIN_REQUEST_MS = 1_000;
/**
 * Stops OUR execution: reads it again first and, if it has ended, sends nothing. Else stops the
 * task and waits up to `waitMs` for ours to reach a final status (Aborted, or whatever it managed
 * to finish with).
 *
 * The window between that read and the stop cannot be closed fully: `POST /qrs/task/{id}/stop`
 * addresses the task, not an execution (the QRS has no "stop execution X"), so a run of the same
 * task that someone starts in the moment between our read and our stop would be the one aborted.
 * That moment is one request long; nothing else is done in between.
 */
async function stopExecution(qrs, taskId, executionId, { clock, log, waitMs }) {
    const deadline = clock.now() + waitMs;
    // The stop has its own budget, and no request of it outlives that.
    const api = qrs.with({ deadline, timeoutMs: Math.max(MIN_REQUEST_MS, waitMs / REQUESTS_PER_BUDGET) });
    const before = await readOurs(api, executionId);
    if (before.ended)
        return { alreadyEnded: true, result: before.result };
    await sendStop(api, taskId, executionId, clock, log, deadline);
    log.info(`Sent stop for task ${taskId}; waiting up to ${Math.round(waitMs / 1000)} s for execution ${executionId} to end.`);
    // No signal: a stop goes on after a cancellation (that is when it is sent), bounded by waitMs.
    const outcome = await poll_poll({
        clock,
        deadline,
        read: () => readOurs(api, executionId),
        retry: isTransient,
        done: now => now.ended && now.result !== undefined && status_isFinal(now.result.status),
        next: () => STOP_POLL_MS
    });
    return { alreadyEnded: false, result: outcome.done ? outcome.value.result : (answer(outcome.last)?.result ?? before.result) };
}
/**
 * The stop, never re-sent blindly: when it fails for a transient reason (its answer lost, the server
 * busy), ours is read again, and the stop goes out once more only while ours still runs untouched.
 */
async function sendStop(api, taskId, executionId, clock, log, deadline) {
    let stopError;
    const outcome = await poll_poll({
        clock,
        deadline,
        read: async (attempt) => {
            if (attempt > 0) {
                // A read that fails for good reports the stop's own failure.
                const ours = await readOurs(api, executionId).catch((reading) => {
                    throw isTransient(reading) ? reading : stopError;
                });
                if (ours.ended || ours.stopping)
                    return;
            }
            await api.stopTask(taskId).catch((error) => {
                stopError = error;
                throw error;
            });
        },
        retry: isTransient,
        next: (seen, attempt) => {
            const error = failure(seen);
            // The error may quote the server's answer: printed with runner commands off.
            if (error === stopError)
                printUntrusted(log, `The stop of task ${taskId} got no answer (${(0,util_text/* firstLine */.TM)((0,errors/* errorMessage */.gJ)(error))}); reading execution ${executionId} again before another.`);
            return retry_retryDelay(error, attempt);
        }
    });
    if (!outcome.done)
        throw stopError;
}
/**
 * Our execution as the server has it now: ended (session gone, or its result final), being stopped, or
 * running. When its session cannot be read (an outage, a wrong answer), its results tell: running
 * until one is final.
 */
async function readOurs(api, executionId) {
    let session;
    try {
        session = await api.executionSession(executionId);
    }
    catch (error) {
        if (!retry_isOutage(error))
            throw error;
        const result = watch_latestAttempt(await api.executionResults(executionId));
        return { ended: result !== undefined && status_isFinal(result.status), stopping: result !== undefined && STOPPING.has(result.status), result };
    }
    const status = session?.executionResult?.status;
    if (session && (status === undefined || !status_isFinal(status)))
        return { ended: false, stopping: status !== undefined && STOPPING.has(status) };
    // Session gone: ours has ended, whatever its result says (a result that cannot be read is not a reason to stop).
    const results = await api.executionResults(executionId).catch((error) => {
        if (retry_isOutage(error))
            return [];
        throw error;
    });
    // The result may not be final yet (the server is writing it): ended for a stop, the wait reads the rest.
    return { ended: true, stopping: false, result: watch_latestAttempt(results) };
}

;// CONCATENATED MODULE: ./src/report/started.ts
/** The names of a task's run: `task` as "task 'Reload Sales'" (or "task <id>" where only that is known). */
function taskNames(task, executionId) {
    return { what: task, subject: `${task} (execution ${executionId})`, ended: `execution ${executionId}`, notSent: `not stopping ${task} (another run of it may be going)` };
}
/** The names of an engine reload of an app. */
function engineNames(app) {
    const what = `the engine reload of app '${app.name ?? app.id}'`;
    return { what, subject: what, ended: what, notSent: 'nothing to cancel, and it was not saved', afterStop: 'The app was not saved: it keeps the data it had.' };
}

;// CONCATENATED MODULE: ./src/run/stop.ts



/**
 * Stops one of our executions and says what happened in one sentence, the same way for each reason to
 * stop (the job cancelled, the post step, the timeout, fail-fast): stopped, left alone because it had
 * already ended (another run of the task may be going), or the stop failed.
 */
async function stopAndExplain(stop, { why, names, afterFailure }) {
    let outcome;
    try {
        outcome = await stop();
    }
    catch (error) {
        return { kind: 'failed', message: `${why}, and stopping ${names.subject} failed: ${(0,util_text/* firstLine */.TM)((0,errors/* errorMessage */.gJ)(error))}. ${afterFailure}` };
    }
    const { alreadyEnded, result } = outcome;
    const now = result ? `, now ${describeStatus(result.status)}` : '';
    return alreadyEnded
        ? { kind: 'already-ended', result, message: `${why}; ${names.ended} had already ended${now}: ${names.notSent}.` }
        : { kind: 'stopped', result, message: `${why}: stopped ${names.subject}${now}.${names.afterStop ? ` ${names.afterStop}` : ''}` };
}

;// CONCATENATED MODULE: ./src/run/pending-start.ts







/**
 * What a start in flight started: the running execution of its task (or app) that was not running
 * before it and runs as our user. One: stopped, after reading that it still runs (as every stop).
 * None within `lookMs`: said, and left to `afterward`. Several: not told apart, so none is stopped.
 */
async function settleStart(api, record, story) {
    const { why, lookMs, waitMs, afterward, clock, log } = story;
    const what = `${startedWhat(record)} (sent at ${record.at})`;
    let found;
    try {
        found = await lookForStarted(api, record, { clock, lookMs });
    }
    catch (error) {
        return { kind: 'failed', message: `${why} during the start of ${what}, and looking for what it started failed: ${(0,util_text/* firstLine */.TM)((0,errors/* errorMessage */.gJ)(error))}. ${afterward}` };
    }
    if (found.length === 0) {
        return {
            kind: 'none',
            message: `${why} during the start of ${what}; no running execution of it by ${userName(record)} had appeared ${formatDuration(lookMs)} later. ${afterward}`
        };
    }
    if (found.length > 1) {
        const ids = found.map(f => f.executionId).join(', ');
        return {
            kind: 'several',
            message: `${why} during the start of ${what}; ${found.length} executions of it by ${userName(record)} started since (${ids}) and the server does not tell which one this start made: none is stopped. Stop the right one in the QMC.`
        };
    }
    const [{ executionId, taskId }] = found;
    const stop = await stopAndExplain(() => stopExecution(api, taskId, executionId, { clock, log, waitMs }), {
        why: `${why} during the start of ${what}`,
        names: taskNames(record.appId ? `the reload task ${taskId} of ${startedWhat(record)}` : startedWhat(record), executionId),
        afterFailure: afterward
    });
    return { kind: stop.kind, executionId, message: stop.message };
}

;// CONCATENATED MODULE: ./src/run/state.ts
/**
 * What the post step needs if main dies (cancelled, killed, timed out by the runner): saved the
 * moment it is known. `executions` lists ours that may still run (a task's execution, or an engine
 * reload); `starting` the starts sent whose execution is not known yet (saved before each goes out);
 * `done` means neither has any.
 * A main step that ends normally (success, failure, cancellation handled) says so (`main-ended`):
 * an execution it left running is healthy (an outage ended the step, attach, stop-on-cancel: false)
 * and is not stopped by the post step, except those main tried to stop and could not, and the starts
 * whose execution a cancellation could not find yet.
 */
const STATE = {
    taskId: 'task-id',
    executionId: 'execution-id',
    executions: 'executions',
    starting: 'starting',
    done: 'done',
    /** Main reached its end (any exit but a kill): its executions are no longer the post step's to stop. */
    mainEnded: 'main-ended',
    /** Executions main meant to stop (cancel, timeout) and could not: the post step tries again. */
    stopPending: 'stop-pending',
    /** Starts a cancellation cut whose execution main could not find (or not stop): the post step looks again. */
    startPending: 'start-pending'
};
/** Rewrites the lists of ours that may run: reloads, and starts not answered yet (the runner keeps the last value). */
function saveRunning({ executions, starts }, store) {
    const [first] = executions;
    if (first && 'taskId' in first) {
        // The first one also under its own keys: one target is the common case.
        store.saveState(STATE.taskId, first.taskId);
        store.saveState(STATE.executionId, first.executionId);
    }
    store.saveState(STATE.executions, JSON.stringify(executions));
    store.saveState(STATE.starting, JSON.stringify(starts));
    store.saveState(STATE.done, executions.length === 0 && starts.length === 0 ? 'true' : 'false');
}
/** Main's last word, in its finally (a kill never gets here): what the post step must still stop. */
function markMainEnded({ executions, starts }, store) {
    store.saveState(STATE.stopPending, JSON.stringify(executions));
    store.saveState(STATE.startPending, JSON.stringify(starts));
    store.saveState(STATE.mainEnded, 'true');
}
/** What the post step stops: all of ours that may run when main never reached its end, else what main left to it. */
function leftToStop(store) {
    const read = (key, keep) => list(store.getState(key), keep) ?? [];
    if (store.getState(STATE.mainEnded) === 'true')
        return { executions: read(STATE.stopPending, isSavedReload), starts: read(STATE.startPending, isStartRecord) };
    if (store.getState(STATE.done) === 'true')
        return { executions: [], starts: [] };
    const executionId = store.getState(STATE.executionId);
    // A state without the list, or with a broken one: the single keys.
    const executions = list(store.getState(STATE.executions), isSavedReload) ?? (executionId ? [{ taskId: store.getState(STATE.taskId), executionId }] : []);
    return { executions, starts: read(STATE.starting, isStartRecord) };
}
/** A JSON list from the state, only the entries of the expected shape; undefined when it is missing or not a list. */
function list(text, keep) {
    try {
        const value = JSON.parse(text);
        return Array.isArray(value) ? value.filter(keep) : undefined;
    }
    catch {
        return undefined;
    }
}
const isObject = (value) => typeof value === 'object' && value !== null;
function isSavedReload(value) {
    if (!isObject(value))
        return false;
    if (value.engine === true)
        return typeof value.appId === 'string' && typeof value.appName === 'string';
    return typeof value.taskId === 'string' && typeof value.executionId === 'string';
}
function isStartRecord(value) {
    return (isObject(value) &&
        (typeof value.taskId === 'string' || typeof value.appId === 'string') &&
        (value.engine === undefined || value.engine === true) &&
        typeof value.name === 'string' &&
        typeof value.at === 'string' &&
        typeof value.user === 'string' &&
        Array.isArray(value.before) &&
        value.before.every(id => typeof id === 'string'));
}

;// CONCATENATED MODULE: ./src/post.ts









/** The post step has little time: a short wait for Aborted. */
const STOP_WAIT_MS = 4_000;
/** How long the post step looks for what a start in flight started (a busy scheduler can be slow to show it). */
const LOOK_MS = 15_000;
/**
 * The post step (runs.post, always; its own bundle, post-entry.ts): if main was killed before it could
 * stop its executions (SIGKILL after a cancellation, a runner timeout), or tried and could not, stop them
 * now; a start main sent without knowing what it started is settled under the same rule (the running
 * execution of that task that appeared since, run by our user). Each is read again first: runs that
 * ended are left alone, and so is any run of main that reached its end. An engine reload cannot be
 * reached any more (its session died with main): the step says what became of it. It never starts
 * anything, and with nothing left to it it sends no request.
 */
async function post(deps = defaults) {
    // Every line and annotation passes the gate, as in main: none can be a runner command.
    const toolkit = gate(deps.toolkit);
    const { clock } = deps;
    const left = leftToStop(toolkit);
    for (const reload of left.executions)
        if ('engine' in reload)
            toolkit.warning(lostWithMain(reload.appId, reload.appName));
    for (const record of left.starts)
        if (record.engine)
            toolkit.warning(lostWithMain(record.appId ?? '', record.name));
    const executions = left.executions.filter((reload) => 'taskId' in reload);
    const starts = left.starts.filter(record => !record.engine);
    if (executions.length === 0 && starts.length === 0)
        return;
    const ended = toolkit.getState(STATE.mainEnded) === 'true';
    const why = ended ? 'The main step could not stop it' : 'The main step did not finish (cancelled or killed)';
    let client;
    try {
        const settings = readSettings(toolkit);
        if (!settings.stopOnCancel) {
            for (const { taskId, executionId } of executions)
                toolkit.warning(`The main step did not finish; execution ${executionId} of task ${taskId} may still run (stop-on-cancel is false).`);
            for (const record of starts)
                toolkit.warning(`The main step did not finish; what its start of ${startedWhat(record)} started may still run (stop-on-cancel is false).`);
            return;
        }
        const connection = await connect(settings, clock, toolkit);
        client = connection.client;
        for (const { taskId, executionId } of executions) {
            const stop = await stopAndExplain(() => stopExecution(connection.api, taskId, executionId, { clock, log: toolkit, waitMs: STOP_WAIT_MS }), {
                why,
                names: taskNames(`task ${taskId}`, executionId),
                afterFailure: 'Stop it in the QMC.'
            });
            // Left alone because it had ended: nothing to warn about.
            if (stop.kind === 'already-ended')
                toolkit.info(stop.message);
            else
                toolkit.warning(stop.message);
        }
        for (const record of starts) {
            const settled = await settleStart(connection.api, record, {
                why: ended ? 'The main step was cancelled' : 'The main step did not finish (cancelled or killed)',
                lookMs: LOOK_MS,
                waitMs: STOP_WAIT_MS,
                afterward: 'If one runs, stop it in the QMC.',
                clock,
                log: toolkit
            });
            if (settled.kind === 'stopped' || settled.kind === 'several' || settled.kind === 'failed')
                toolkit.warning(settled.message);
            else
                toolkit.info(settled.message);
        }
    }
    catch (error) {
        toolkit.warning(`The main step did not finish, and its executions could not be stopped: ${(0,errors/* errorMessage */.gJ)(error)}. Stop them in the QMC.`);
    }
    finally {
        client?.dispose();
    }
}
/** What became of an engine reload whose main step was killed: nothing the post step can reach, so it says so. */
function lostWithMain(appId, appName) {
    return `The main step did not finish (cancelled or killed) during the engine reload of app '${appName || appId}' (${appId}): its engine session ended with the process. Qlik then stops the reload or runs it to its end (not confirmed which); either way nothing saves it, so the app keeps the data it had saved before.`;
}


/***/ }),

/***/ 755:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  S: () => (/* binding */ createAgent)
});

// EXTERNAL MODULE: ./node_modules/@actions/http-client/lib/index.js + 2 modules
var lib = __nccwpck_require__(1750);
;// CONCATENATED MODULE: external "node:https"
const external_node_https_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:https");
;// CONCATENATED MODULE: external "node:tls"
const external_node_tls_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:tls");
// EXTERNAL MODULE: ./node_modules/tunnel/index.js
var tunnel = __nccwpck_require__(770);
;// CONCATENATED MODULE: ./src/qrs/agent.ts




/**
 * Our own keep-alive agent with the site's TLS settings, handed to http-client through its
 * request handler hook (it has no CA or client-certificate options). Through a forward proxy
 * (HTTPS_PROXY, NO_PROXY as http-client reads them) it is the same tunnel agent http-client
 * would build, with the TLS settings given up front: the tunnel ignores per-request TLS options.
 */
function createAgent(base, serverTls, clientTls, maxSockets = Infinity) {
    const tls = {
        ...clientTls,
        ...(serverTls.ca ? { ca: serverTls.ca } : {}),
        ...(serverTls.serverName ? { checkServerIdentity: (_host, cert) => (0,external_node_tls_namespaceObject.checkServerIdentity)(serverTls.serverName, cert) } : {}),
        ...(serverTls.insecure ? { rejectUnauthorized: false } : {})
    };
    const proxyUrl = (0,lib/* getProxyUrl */.s_)(base.href);
    if (!proxyUrl)
        return new external_node_https_namespaceObject.Agent({ keepAlive: true, maxSockets, ...tls });
    const proxy = new URL(proxyUrl);
    // URL keeps the credentials percent-encoded; the proxy wants them as written (http-client decodes them too).
    const proxyAuth = proxy.username || proxy.password ? { proxyAuth: `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}` } : {};
    const over = proxy.protocol === 'https:' ? tunnel.httpsOverHttps : tunnel.httpsOverHttp;
    return over({ keepAlive: true, maxSockets, ...tls, proxy: { host: proxy.hostname, port: proxy.port, ...proxyAuth } });
}


/***/ }),

/***/ 5797:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   Jt: () => (/* binding */ flag),
/* harmony export */   Os: () => (/* binding */ guid),
/* harmony export */   Qq: () => (/* binding */ text),
/* harmony export */   WQ: () => (/* binding */ whole),
/* harmony export */   g1: () => (/* binding */ record),
/* harmony export */   gP: () => (/* binding */ either),
/* harmony export */   lq: () => (/* binding */ optional),
/* harmony export */   p_: () => (/* binding */ list),
/* harmony export */   vj: () => (/* binding */ amount),
/* harmony export */   wC: () => (/* binding */ matching),
/* harmony export */   zq: () => (/* binding */ WrongShape)
/* harmony export */ });
/* harmony import */ var _util_ids_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(4598);

/** Where an answer does not have the shape the action reads; the client turns it into an UnexpectedAnswer. */
class WrongShape extends Error {
    name = 'WrongShape';
}
function kind(value) {
    if (value === null)
        return 'null';
    if (Array.isArray(value))
        return 'a list';
    if (typeof value === 'object')
        return 'an object';
    if (typeof value === 'number' && !Number.isFinite(value))
        return 'not a finite number';
    return `a ${typeof value}`;
}
function wrong(at, value, wanted) {
    const where = at || 'the answer';
    throw new WrongShape(value === undefined ? `${where} is missing (${wanted} expected)` : `${where} is ${kind(value)}, not ${wanted}`);
}
const text = (value, at) => (typeof value === 'string' ? value : wrong(at, value, 'a string'));
const whole = (value, at) => (Number.isSafeInteger(value) ? value : wrong(at, value, 'a whole number'));
/** A duration or another measure: any finite number. */
const amount = (value, at) => (typeof value === 'number' && Number.isFinite(value) ? value : wrong(at, value, 'a number'));
const flag = (value, at) => (typeof value === 'boolean' ? value : wrong(at, value, 'true or false'));
/** A string that matches `pattern`, said as `wanted` when it does not. */
function matching(pattern, wanted) {
    return (value, at) => (typeof value === 'string' && pattern.test(value) ? value : wrong(at, value, wanted));
}
const guid = matching(_util_ids_js__WEBPACK_IMPORTED_MODULE_0__/* .GUID */ .Sm, 'a GUID');
/** Absent, null (or, with `emptyToo`, an empty string): undefined. */
function optional(shape, emptyToo = false) {
    return (value, at) => (value === undefined || value === null || (emptyToo && value === '') ? undefined : shape(value, at));
}
function list(item) {
    return (value, at) => (Array.isArray(value) ? value.map((element, i) => item(element, `${at}[${i}]`)) : wrong(at, value, 'a list'));
}
/** An object with these fields (each checked; absent optional ones left out), nothing else. */
function record(fields) {
    return (value, at) => {
        if (typeof value !== 'object' || value === null || Array.isArray(value))
            wrong(at, value, 'an object');
        const source = value;
        const checked = {};
        for (const [name, shape] of Object.entries(fields)) {
            const field = shape(Object.hasOwn(source, name) ? source[name] : undefined, at ? `${at}.${name}` : name);
            if (field !== undefined)
                checked[name] = field;
        }
        return checked;
    };
}
/** The first shape that fits. */
function either(first, second, wanted) {
    return (value, at) => {
        for (const shape of [first, second]) {
            try {
                return shape(value, at);
            }
            catch (error) {
                if (!(error instanceof WrongShape))
                    throw error;
            }
        }
        return wrong(at, value, wanted);
    };
}


/***/ }),

/***/ 17:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   Ds: () => (/* binding */ QrsError),
/* harmony export */   M7: () => (/* binding */ UnexpectedAnswer),
/* harmony export */   NJ: () => (/* binding */ EngineError),
/* harmony export */   RE: () => (/* binding */ WrongFieldsAnswer),
/* harmony export */   Rc: () => (/* binding */ ConnectionError),
/* harmony export */   dz: () => (/* binding */ InputError),
/* harmony export */   gJ: () => (/* binding */ errorMessage),
/* harmony export */   ki: () => (/* binding */ UnexpectedEngineAnswer),
/* harmony export */   lR: () => (/* binding */ AuthError)
/* harmony export */ });
/* unused harmony exports ReloadError, StillDown, CancelledError */
/* harmony import */ var _text_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(9997);

/**
 * Every error the action throws on purpose, in one place. Each says what went wrong in words a user can
 * act on; the catch sites tell them apart by class (see src/ARCHITECTURE.md, "Errors").
 */
/** A problem with an input: reported before any request is made, naming the input. */
class InputError extends Error {
    input;
    name = 'InputError';
    constructor(input, problem) {
        super(`Input '${input}': ${problem}`);
        this.input = input;
    }
}
/** Signing in failed; the message says what the server answered and what to check. */
class AuthError extends Error {
    name = 'AuthError';
}
/** The QRS answered, but not with what the call needed. Error bodies are text or HTML, never JSON. */
class QrsError extends Error {
    method;
    path;
    status;
    body;
    retryAfterMs;
    name = 'QrsError';
    constructor(method, path, status, body, hint, 
    /** From a Retry-After header (429, 503). */
    retryAfterMs) {
        super(`${method} ${path} answered ${status}${(0,_text_js__WEBPACK_IMPORTED_MODULE_0__/* .excerpt */ .Kb)(body) ? `: ${(0,_text_js__WEBPACK_IMPORTED_MODULE_0__/* .excerpt */ .Kb)(body)}` : ''}${hint ? `\n${hint}` : ''}`);
        this.method = method;
        this.path = path;
        this.status = status;
        this.body = body;
        this.retryAfterMs = retryAfterMs;
    }
}
/**
 * The QRS (or something in front of it) answered what the call cannot use: an HTML page or text that does
 * not parse where JSON was expected, or JSON whose fields the action reads have the wrong type.
 */
class UnexpectedAnswer extends QrsError {
    name = 'UnexpectedAnswer';
    constructor(method, path, status, problem, hint) {
        super(method, path, status, problem, hint);
        this.message = `The server answered something unexpected to ${method} ${path}: ${problem}${hint ? `\n${hint}` : ''}`;
    }
}
/**
 * JSON whose fields the action reads have the wrong type, or another entity than the one asked for. A page
 * in front of the QRS (a maintenance page) passes; this is the QRS's own answer, which a retry repeats.
 */
class WrongFieldsAnswer extends UnexpectedAnswer {
    /** The same answer, with a line on how long the wait saw it. */
    seenFor(line) {
        return new WrongFieldsAnswer(this.method, this.path, this.status, this.body, line);
    }
}
/** The request never got an answer, or not all of it: DNS, TCP, TLS, a timeout, a connection closed mid-answer. */
class ConnectionError extends Error {
    transient;
    code;
    name = 'ConnectionError';
    constructor(message, 
    /** Worth another try (reset, timeout, refused); TLS and DNS problems are not. */
    transient = false, 
    /** Node's error code, when it tells more than `transient` (ENOTFOUND: a name that does not resolve, maybe only for now). */
    code) {
        super(message);
        this.transient = transient;
        this.code = code;
    }
}
/**
 * The engine (QIX) refused the session or answered a call with an error. `code` is the engine's
 * LocalizedErrorCode (5 access denied, 1009 app open in another mode, ...) when it sent one.
 */
class EngineError extends Error {
    code;
    name = 'EngineError';
    constructor(message, code) {
        super(message);
        this.code = code;
    }
}
/**
 * The engine answered a call, but not with what the action reads (a name that is an object, a row count
 * that is a string, a Doc that is none): the session itself still works.
 */
class UnexpectedEngineAnswer extends EngineError {
    name = 'UnexpectedEngineAnswer';
    constructor(method, app, problem) {
        super(`The engine answered something unexpected to ${method} of app ${app}: ${problem}.`);
    }
}
/** A reload-level failure the user must act on (task not found, did not start, timed out). */
class ReloadError extends (/* unused pure expression or super */ null && (Error)) {
    name = 'ReloadError';
}
/** The deadline passed while the server was not answering: the wait times out with this as the cause. */
class StillDown extends Error {
    name = 'StillDown';
    constructor(cause) {
        const what = cause instanceof UnexpectedAnswer ? 'answering something unexpected' : 'not answering';
        super(`the QRS was ${what} at the timeout (${(0,_text_js__WEBPACK_IMPORTED_MODULE_0__/* .firstLine */ .TM)(errorMessage(cause))})`, { cause });
    }
}
/** The runner cancelled the job (SIGINT, then SIGTERM 7.5 s later, then SIGKILL). */
class CancelledError extends Error {
    signal;
    name = 'CancelledError';
    constructor(signal) {
        super(`The job was cancelled (${signal}).`);
        this.signal = signal;
    }
}
/** The message of anything thrown: an Error's message, anything else as text. */
function errorMessage(error) {
    return error instanceof Error ? error.message : String(error);
}


/***/ }),

/***/ 4598:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   QV: () => (/* binding */ sameText),
/* harmony export */   Sm: () => (/* binding */ GUID),
/* harmony export */   W_: () => (/* binding */ isGuid)
/* harmony export */ });
/** Qlik's ids are GUIDs; an id goes into paths, filters and file names, so nothing else is taken for one. */
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** An id as Qlik writes one (a GUID): ids the server sends are checked before they are used or printed. */
function isGuid(value) {
    return typeof value === 'string' && GUID.test(value);
}
/** The same id or name as Qlik compares them: without regard to case. Absent is never the same. */
function sameText(a, b) {
    return typeof a === 'string' && a.toLowerCase() === b.toLowerCase();
}


/***/ }),

/***/ 9997:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {

/* harmony export */ __nccwpck_require__.d(__webpack_exports__, {
/* harmony export */   Kb: () => (/* binding */ excerpt),
/* harmony export */   TM: () => (/* binding */ firstLine),
/* harmony export */   yL: () => (/* binding */ MAX_LINE_CHARS)
/* harmony export */ });
/** A line of server text longer than this is cut: a log line that never ends must not fill the memory. */
const MAX_LINE_CHARS = 4_000;
/** The first line of a message: for one-line log lines and headings. */
function firstLine(text) {
    return text.split('\n')[0];
}
/** The first part of an error body, HTML tags stripped, on one line. */
function excerpt(body, max = 300) {
    const text = stripTags(body, max + 1)
        .replace(/\s+/g, ' ')
        .trim();
    return text.length > max ? `${text.slice(0, max)}…` : text;
}
/**
 * The text of an HTML body (tags, scripts and styles removed), up to about `want` characters. One
 * pass: each `<` is looked at once and an unclosed tag or `<script` ends the text, so a hostile
 * body of many unclosed tags costs linear time (a regex made it quadratic: 1 MB took 80 s).
 */
function stripTags(body, want = Infinity) {
    let text = '';
    let at = 0;
    // Whitespace collapses later: keep a generous margin over `want`.
    while (at < body.length && text.length <= want * 4 + 1024) {
        const open = body.indexOf('<', at);
        if (open < 0) {
            text += body.slice(at);
            break;
        }
        text += body.slice(at, open);
        const raw = /^<(script|style)\b/i.exec(body.slice(open, open + 8))?.[1];
        const close = raw ? indexOfCaseless(body, raw.toLowerCase() === 'script' ? SCRIPT_END : STYLE_END, open) : body.indexOf('>', open);
        if (close < 0)
            break;
        const end = raw ? body.indexOf('>', close) : close;
        if (end < 0)
            break;
        if (!text.endsWith(' '))
            text += ' ';
        at = end + 1;
    }
    return text;
}
const SCRIPT_END = /<\/script/gi;
const STYLE_END = /<\/style/gi;
/** Searches from `from` without copying the text. */
function indexOfCaseless(text, pattern, from) {
    pattern.lastIndex = from;
    return pattern.exec(text)?.index ?? -1;
}


/***/ }),

/***/ 2613:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("assert");

/***/ }),

/***/ 181:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("buffer");

/***/ }),

/***/ 6982:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("crypto");

/***/ }),

/***/ 4434:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("events");

/***/ }),

/***/ 8611:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("http");

/***/ }),

/***/ 5692:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("https");

/***/ }),

/***/ 9278:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("net");

/***/ }),

/***/ 3480:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("querystring");

/***/ }),

/***/ 2203:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("stream");

/***/ }),

/***/ 4756:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("tls");

/***/ }),

/***/ 7016:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("url");

/***/ }),

/***/ 9023:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("util");

/***/ }),

/***/ 3106:
/***/ ((module) => {

module.exports = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("zlib");

/***/ }),

/***/ 1750:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __nccwpck_require__) => {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  Qq: () => (/* binding */ HttpClient),
  s_: () => (/* binding */ lib_getProxyUrl)
});

// UNUSED EXPORTS: Headers, HttpClientError, HttpClientResponse, HttpCodes, MediaTypes, isHttps

// EXTERNAL MODULE: external "http"
var external_http_ = __nccwpck_require__(8611);
var external_http_namespaceObject = /*#__PURE__*/__nccwpck_require__.t(external_http_, 2);
// EXTERNAL MODULE: external "https"
var external_https_ = __nccwpck_require__(5692);
var external_https_namespaceObject = /*#__PURE__*/__nccwpck_require__.t(external_https_, 2);
;// CONCATENATED MODULE: ./node_modules/@actions/http-client/lib/proxy.js
function getProxyUrl(reqUrl) {
    const usingSsl = reqUrl.protocol === 'https:';
    if (checkBypass(reqUrl)) {
        return undefined;
    }
    const proxyVar = (() => {
        if (usingSsl) {
            return process.env['https_proxy'] || process.env['HTTPS_PROXY'];
        }
        else {
            return process.env['http_proxy'] || process.env['HTTP_PROXY'];
        }
    })();
    if (proxyVar) {
        try {
            return new DecodedURL(proxyVar);
        }
        catch (_a) {
            if (!proxyVar.startsWith('http://') && !proxyVar.startsWith('https://'))
                return new DecodedURL(`http://${proxyVar}`);
        }
    }
    else {
        return undefined;
    }
}
function checkBypass(reqUrl) {
    if (!reqUrl.hostname) {
        return false;
    }
    const reqHost = reqUrl.hostname;
    if (isLoopbackAddress(reqHost)) {
        return true;
    }
    const noProxy = process.env['no_proxy'] || process.env['NO_PROXY'] || '';
    if (!noProxy) {
        return false;
    }
    // Determine the request port
    let reqPort;
    if (reqUrl.port) {
        reqPort = Number(reqUrl.port);
    }
    else if (reqUrl.protocol === 'http:') {
        reqPort = 80;
    }
    else if (reqUrl.protocol === 'https:') {
        reqPort = 443;
    }
    // Format the request hostname and hostname with port
    const upperReqHosts = [reqUrl.hostname.toUpperCase()];
    if (typeof reqPort === 'number') {
        upperReqHosts.push(`${upperReqHosts[0]}:${reqPort}`);
    }
    // Compare request host against noproxy
    for (const upperNoProxyItem of noProxy
        .split(',')
        .map(x => x.trim().toUpperCase())
        .filter(x => x)) {
        if (upperNoProxyItem === '*' ||
            upperReqHosts.some(x => x === upperNoProxyItem ||
                x.endsWith(`.${upperNoProxyItem}`) ||
                (upperNoProxyItem.startsWith('.') &&
                    x.endsWith(`${upperNoProxyItem}`)))) {
            return true;
        }
    }
    return false;
}
function isLoopbackAddress(host) {
    const hostLower = host.toLowerCase();
    return (hostLower === 'localhost' ||
        hostLower.startsWith('127.') ||
        hostLower.startsWith('[::1]') ||
        hostLower.startsWith('[0:0:0:0:0:0:0:1]'));
}
class DecodedURL extends URL {
    constructor(url, base) {
        super(url, base);
        this._decodedUsername = decodeURIComponent(super.username);
        this._decodedPassword = decodeURIComponent(super.password);
    }
    get username() {
        return this._decodedUsername;
    }
    get password() {
        return this._decodedPassword;
    }
}
//# sourceMappingURL=proxy.js.map
// EXTERNAL MODULE: ./node_modules/tunnel/index.js
var tunnel = __nccwpck_require__(770);
;// CONCATENATED MODULE: ./stubs/undici.ts
/**
 * What the bundle has for `undici` (tsconfig.json "paths"; ncc resolves through them). @actions/http-client
 * imports undici for one method, getAgentDispatcher (a fetch() dispatcher through a proxy), which neither
 * this action nor @actions/core calls; the real package is 900 KB that every step would load at start-up,
 * about half its start-up time and 18 MiB (issue 21). Only the bundle gets this: tests and tools load the
 * real package. Calling it says so instead of failing obscurely.
 */
class ProxyAgent {
    constructor() {
        throw new Error('undici is not in the bundle of this action: @actions/http-client getAgentDispatcher() is not supported here.');
    }
}

;// CONCATENATED MODULE: ./node_modules/@actions/http-client/lib/index.js
/* eslint-disable @typescript-eslint/no-explicit-any */
var __awaiter = (undefined && undefined.__awaiter) || function (thisArg, _arguments, P, generator) {
    function adopt(value) { return value instanceof P ? value : new P(function (resolve) { resolve(value); }); }
    return new (P || (P = Promise))(function (resolve, reject) {
        function fulfilled(value) { try { step(generator.next(value)); } catch (e) { reject(e); } }
        function rejected(value) { try { step(generator["throw"](value)); } catch (e) { reject(e); } }
        function step(result) { result.done ? resolve(result.value) : adopt(result.value).then(fulfilled, rejected); }
        step((generator = generator.apply(thisArg, _arguments || [])).next());
    });
};





var HttpCodes;
(function (HttpCodes) {
    HttpCodes[HttpCodes["OK"] = 200] = "OK";
    HttpCodes[HttpCodes["MultipleChoices"] = 300] = "MultipleChoices";
    HttpCodes[HttpCodes["MovedPermanently"] = 301] = "MovedPermanently";
    HttpCodes[HttpCodes["ResourceMoved"] = 302] = "ResourceMoved";
    HttpCodes[HttpCodes["SeeOther"] = 303] = "SeeOther";
    HttpCodes[HttpCodes["NotModified"] = 304] = "NotModified";
    HttpCodes[HttpCodes["UseProxy"] = 305] = "UseProxy";
    HttpCodes[HttpCodes["SwitchProxy"] = 306] = "SwitchProxy";
    HttpCodes[HttpCodes["TemporaryRedirect"] = 307] = "TemporaryRedirect";
    HttpCodes[HttpCodes["PermanentRedirect"] = 308] = "PermanentRedirect";
    HttpCodes[HttpCodes["BadRequest"] = 400] = "BadRequest";
    HttpCodes[HttpCodes["Unauthorized"] = 401] = "Unauthorized";
    HttpCodes[HttpCodes["PaymentRequired"] = 402] = "PaymentRequired";
    HttpCodes[HttpCodes["Forbidden"] = 403] = "Forbidden";
    HttpCodes[HttpCodes["NotFound"] = 404] = "NotFound";
    HttpCodes[HttpCodes["MethodNotAllowed"] = 405] = "MethodNotAllowed";
    HttpCodes[HttpCodes["NotAcceptable"] = 406] = "NotAcceptable";
    HttpCodes[HttpCodes["ProxyAuthenticationRequired"] = 407] = "ProxyAuthenticationRequired";
    HttpCodes[HttpCodes["RequestTimeout"] = 408] = "RequestTimeout";
    HttpCodes[HttpCodes["Conflict"] = 409] = "Conflict";
    HttpCodes[HttpCodes["Gone"] = 410] = "Gone";
    HttpCodes[HttpCodes["TooManyRequests"] = 429] = "TooManyRequests";
    HttpCodes[HttpCodes["InternalServerError"] = 500] = "InternalServerError";
    HttpCodes[HttpCodes["NotImplemented"] = 501] = "NotImplemented";
    HttpCodes[HttpCodes["BadGateway"] = 502] = "BadGateway";
    HttpCodes[HttpCodes["ServiceUnavailable"] = 503] = "ServiceUnavailable";
    HttpCodes[HttpCodes["GatewayTimeout"] = 504] = "GatewayTimeout";
})(HttpCodes || (HttpCodes = {}));
var Headers;
(function (Headers) {
    Headers["Accept"] = "accept";
    Headers["ContentType"] = "content-type";
})(Headers || (Headers = {}));
var MediaTypes;
(function (MediaTypes) {
    MediaTypes["ApplicationJson"] = "application/json";
})(MediaTypes || (MediaTypes = {}));
/**
 * Returns the proxy URL, depending upon the supplied url and proxy environment variables.
 * @param serverUrl  The server URL where the request will be sent. For example, https://api.github.com
 */
function lib_getProxyUrl(serverUrl) {
    const proxyUrl = getProxyUrl(new URL(serverUrl));
    return proxyUrl ? proxyUrl.href : '';
}
const HttpRedirectCodes = [
    HttpCodes.MovedPermanently,
    HttpCodes.ResourceMoved,
    HttpCodes.SeeOther,
    HttpCodes.TemporaryRedirect,
    HttpCodes.PermanentRedirect
];
const HttpResponseRetryCodes = [
    HttpCodes.BadGateway,
    HttpCodes.ServiceUnavailable,
    HttpCodes.GatewayTimeout
];
const RetryableHttpVerbs = ['OPTIONS', 'GET', 'DELETE', 'HEAD'];
const ExponentialBackoffCeiling = 10;
const ExponentialBackoffTimeSlice = 5;
class HttpClientError extends Error {
    constructor(message, statusCode) {
        super(message);
        this.name = 'HttpClientError';
        this.statusCode = statusCode;
        Object.setPrototypeOf(this, HttpClientError.prototype);
    }
}
class HttpClientResponse {
    constructor(message) {
        this.message = message;
    }
    readBody() {
        return __awaiter(this, void 0, void 0, function* () {
            return new Promise((resolve) => __awaiter(this, void 0, void 0, function* () {
                let output = Buffer.alloc(0);
                this.message.on('data', (chunk) => {
                    output = Buffer.concat([output, chunk]);
                });
                this.message.on('end', () => {
                    resolve(output.toString());
                });
            }));
        });
    }
    readBodyBuffer() {
        return __awaiter(this, void 0, void 0, function* () {
            return new Promise((resolve) => __awaiter(this, void 0, void 0, function* () {
                const chunks = [];
                this.message.on('data', (chunk) => {
                    chunks.push(chunk);
                });
                this.message.on('end', () => {
                    resolve(Buffer.concat(chunks));
                });
            }));
        });
    }
}
function isHttps(requestUrl) {
    const parsedUrl = new URL(requestUrl);
    return parsedUrl.protocol === 'https:';
}
class HttpClient {
    constructor(userAgent, handlers, requestOptions) {
        this._ignoreSslError = false;
        this._allowRedirects = true;
        this._allowRedirectDowngrade = false;
        this._maxRedirects = 50;
        this._allowRetries = false;
        this._maxRetries = 1;
        this._keepAlive = false;
        this._disposed = false;
        this.userAgent = this._getUserAgentWithOrchestrationId(userAgent);
        this.handlers = handlers || [];
        this.requestOptions = requestOptions;
        if (requestOptions) {
            if (requestOptions.ignoreSslError != null) {
                this._ignoreSslError = requestOptions.ignoreSslError;
            }
            this._socketTimeout = requestOptions.socketTimeout;
            if (requestOptions.allowRedirects != null) {
                this._allowRedirects = requestOptions.allowRedirects;
            }
            if (requestOptions.allowRedirectDowngrade != null) {
                this._allowRedirectDowngrade = requestOptions.allowRedirectDowngrade;
            }
            if (requestOptions.maxRedirects != null) {
                this._maxRedirects = Math.max(requestOptions.maxRedirects, 0);
            }
            if (requestOptions.keepAlive != null) {
                this._keepAlive = requestOptions.keepAlive;
            }
            if (requestOptions.allowRetries != null) {
                this._allowRetries = requestOptions.allowRetries;
            }
            if (requestOptions.maxRetries != null) {
                this._maxRetries = requestOptions.maxRetries;
            }
        }
    }
    options(requestUrl, additionalHeaders) {
        return __awaiter(this, void 0, void 0, function* () {
            return this.request('OPTIONS', requestUrl, null, additionalHeaders || {});
        });
    }
    get(requestUrl, additionalHeaders) {
        return __awaiter(this, void 0, void 0, function* () {
            return this.request('GET', requestUrl, null, additionalHeaders || {});
        });
    }
    del(requestUrl, additionalHeaders) {
        return __awaiter(this, void 0, void 0, function* () {
            return this.request('DELETE', requestUrl, null, additionalHeaders || {});
        });
    }
    post(requestUrl, data, additionalHeaders) {
        return __awaiter(this, void 0, void 0, function* () {
            return this.request('POST', requestUrl, data, additionalHeaders || {});
        });
    }
    patch(requestUrl, data, additionalHeaders) {
        return __awaiter(this, void 0, void 0, function* () {
            return this.request('PATCH', requestUrl, data, additionalHeaders || {});
        });
    }
    put(requestUrl, data, additionalHeaders) {
        return __awaiter(this, void 0, void 0, function* () {
            return this.request('PUT', requestUrl, data, additionalHeaders || {});
        });
    }
    head(requestUrl, additionalHeaders) {
        return __awaiter(this, void 0, void 0, function* () {
            return this.request('HEAD', requestUrl, null, additionalHeaders || {});
        });
    }
    sendStream(verb, requestUrl, stream, additionalHeaders) {
        return __awaiter(this, void 0, void 0, function* () {
            return this.request(verb, requestUrl, stream, additionalHeaders);
        });
    }
    /**
     * Gets a typed object from an endpoint
     * Be aware that not found returns a null.  Other errors (4xx, 5xx) reject the promise
     */
    getJson(requestUrl_1) {
        return __awaiter(this, arguments, void 0, function* (requestUrl, additionalHeaders = {}) {
            additionalHeaders[Headers.Accept] = this._getExistingOrDefaultHeader(additionalHeaders, Headers.Accept, MediaTypes.ApplicationJson);
            const res = yield this.get(requestUrl, additionalHeaders);
            return this._processResponse(res, this.requestOptions);
        });
    }
    postJson(requestUrl_1, obj_1) {
        return __awaiter(this, arguments, void 0, function* (requestUrl, obj, additionalHeaders = {}) {
            const data = JSON.stringify(obj, null, 2);
            additionalHeaders[Headers.Accept] = this._getExistingOrDefaultHeader(additionalHeaders, Headers.Accept, MediaTypes.ApplicationJson);
            additionalHeaders[Headers.ContentType] =
                this._getExistingOrDefaultContentTypeHeader(additionalHeaders, MediaTypes.ApplicationJson);
            const res = yield this.post(requestUrl, data, additionalHeaders);
            return this._processResponse(res, this.requestOptions);
        });
    }
    putJson(requestUrl_1, obj_1) {
        return __awaiter(this, arguments, void 0, function* (requestUrl, obj, additionalHeaders = {}) {
            const data = JSON.stringify(obj, null, 2);
            additionalHeaders[Headers.Accept] = this._getExistingOrDefaultHeader(additionalHeaders, Headers.Accept, MediaTypes.ApplicationJson);
            additionalHeaders[Headers.ContentType] =
                this._getExistingOrDefaultContentTypeHeader(additionalHeaders, MediaTypes.ApplicationJson);
            const res = yield this.put(requestUrl, data, additionalHeaders);
            return this._processResponse(res, this.requestOptions);
        });
    }
    patchJson(requestUrl_1, obj_1) {
        return __awaiter(this, arguments, void 0, function* (requestUrl, obj, additionalHeaders = {}) {
            const data = JSON.stringify(obj, null, 2);
            additionalHeaders[Headers.Accept] = this._getExistingOrDefaultHeader(additionalHeaders, Headers.Accept, MediaTypes.ApplicationJson);
            additionalHeaders[Headers.ContentType] =
                this._getExistingOrDefaultContentTypeHeader(additionalHeaders, MediaTypes.ApplicationJson);
            const res = yield this.patch(requestUrl, data, additionalHeaders);
            return this._processResponse(res, this.requestOptions);
        });
    }
    /**
     * Makes a raw http request.
     * All other methods such as get, post, patch, and request ultimately call this.
     * Prefer get, del, post and patch
     */
    request(verb, requestUrl, data, headers) {
        return __awaiter(this, void 0, void 0, function* () {
            if (this._disposed) {
                throw new Error('Client has already been disposed.');
            }
            const parsedUrl = new URL(requestUrl);
            let info = this._prepareRequest(verb, parsedUrl, headers);
            // Only perform retries on reads since writes may not be idempotent.
            const maxTries = this._allowRetries && RetryableHttpVerbs.includes(verb)
                ? this._maxRetries + 1
                : 1;
            let numTries = 0;
            let response;
            do {
                response = yield this.requestRaw(info, data);
                // Check if it's an authentication challenge
                if (response &&
                    response.message &&
                    response.message.statusCode === HttpCodes.Unauthorized) {
                    let authenticationHandler;
                    for (const handler of this.handlers) {
                        if (handler.canHandleAuthentication(response)) {
                            authenticationHandler = handler;
                            break;
                        }
                    }
                    if (authenticationHandler) {
                        return authenticationHandler.handleAuthentication(this, info, data);
                    }
                    else {
                        // We have received an unauthorized response but have no handlers to handle it.
                        // Let the response return to the caller.
                        return response;
                    }
                }
                let redirectsRemaining = this._maxRedirects;
                while (response.message.statusCode &&
                    HttpRedirectCodes.includes(response.message.statusCode) &&
                    this._allowRedirects &&
                    redirectsRemaining > 0) {
                    const redirectUrl = response.message.headers['location'];
                    if (!redirectUrl) {
                        // if there's no location to redirect to, we won't
                        break;
                    }
                    const parsedRedirectUrl = new URL(redirectUrl);
                    if (parsedUrl.protocol === 'https:' &&
                        parsedUrl.protocol !== parsedRedirectUrl.protocol &&
                        !this._allowRedirectDowngrade) {
                        throw new Error('Redirect from HTTPS to HTTP protocol. This downgrade is not allowed for security reasons. If you want to allow this behavior, set the allowRedirectDowngrade option to true.');
                    }
                    // we need to finish reading the response before reassigning response
                    // which will leak the open socket.
                    yield response.readBody();
                    // strip authorization header if redirected to a different hostname
                    if (parsedRedirectUrl.hostname !== parsedUrl.hostname) {
                        for (const header in headers) {
                            // header names are case insensitive
                            if (header.toLowerCase() === 'authorization') {
                                delete headers[header];
                            }
                        }
                    }
                    // let's make the request with the new redirectUrl
                    info = this._prepareRequest(verb, parsedRedirectUrl, headers);
                    response = yield this.requestRaw(info, data);
                    redirectsRemaining--;
                }
                if (!response.message.statusCode ||
                    !HttpResponseRetryCodes.includes(response.message.statusCode)) {
                    // If not a retry code, return immediately instead of retrying
                    return response;
                }
                numTries += 1;
                if (numTries < maxTries) {
                    yield response.readBody();
                    yield this._performExponentialBackoff(numTries);
                }
            } while (numTries < maxTries);
            return response;
        });
    }
    /**
     * Needs to be called if keepAlive is set to true in request options.
     */
    dispose() {
        if (this._agent) {
            this._agent.destroy();
        }
        this._disposed = true;
    }
    /**
     * Raw request.
     * @param info
     * @param data
     */
    requestRaw(info, data) {
        return __awaiter(this, void 0, void 0, function* () {
            return new Promise((resolve, reject) => {
                function callbackForResult(err, res) {
                    if (err) {
                        reject(err);
                    }
                    else if (!res) {
                        // If `err` is not passed, then `res` must be passed.
                        reject(new Error('Unknown error'));
                    }
                    else {
                        resolve(res);
                    }
                }
                this.requestRawWithCallback(info, data, callbackForResult);
            });
        });
    }
    /**
     * Raw request with callback.
     * @param info
     * @param data
     * @param onResult
     */
    requestRawWithCallback(info, data, onResult) {
        if (typeof data === 'string') {
            if (!info.options.headers) {
                info.options.headers = {};
            }
            info.options.headers['Content-Length'] = Buffer.byteLength(data, 'utf8');
        }
        let callbackCalled = false;
        function handleResult(err, res) {
            if (!callbackCalled) {
                callbackCalled = true;
                onResult(err, res);
            }
        }
        const req = info.httpModule.request(info.options, (msg) => {
            const res = new HttpClientResponse(msg);
            handleResult(undefined, res);
        });
        let socket;
        req.on('socket', sock => {
            socket = sock;
        });
        // If we ever get disconnected, we want the socket to timeout eventually
        req.setTimeout(this._socketTimeout || 3 * 60000, () => {
            if (socket) {
                socket.end();
            }
            handleResult(new Error(`Request timeout: ${info.options.path}`));
        });
        req.on('error', function (err) {
            // err has statusCode property
            // res should have headers
            handleResult(err);
        });
        if (data && typeof data === 'string') {
            req.write(data, 'utf8');
        }
        if (data && typeof data !== 'string') {
            data.on('close', function () {
                req.end();
            });
            data.pipe(req);
        }
        else {
            req.end();
        }
    }
    /**
     * Gets an http agent. This function is useful when you need an http agent that handles
     * routing through a proxy server - depending upon the url and proxy environment variables.
     * @param serverUrl  The server URL where the request will be sent. For example, https://api.github.com
     */
    getAgent(serverUrl) {
        const parsedUrl = new URL(serverUrl);
        return this._getAgent(parsedUrl);
    }
    getAgentDispatcher(serverUrl) {
        const parsedUrl = new URL(serverUrl);
        const proxyUrl = getProxyUrl(parsedUrl);
        const useProxy = proxyUrl && proxyUrl.hostname;
        if (!useProxy) {
            return;
        }
        return this._getProxyAgentDispatcher(parsedUrl, proxyUrl);
    }
    _prepareRequest(method, requestUrl, headers) {
        const info = {};
        info.parsedUrl = requestUrl;
        const usingSsl = info.parsedUrl.protocol === 'https:';
        info.httpModule = usingSsl ? external_https_namespaceObject : external_http_namespaceObject;
        const defaultPort = usingSsl ? 443 : 80;
        info.options = {};
        info.options.host = info.parsedUrl.hostname;
        info.options.port = info.parsedUrl.port
            ? parseInt(info.parsedUrl.port)
            : defaultPort;
        info.options.path =
            (info.parsedUrl.pathname || '') + (info.parsedUrl.search || '');
        info.options.method = method;
        info.options.headers = this._mergeHeaders(headers);
        if (this.userAgent != null) {
            info.options.headers['user-agent'] = this.userAgent;
        }
        info.options.agent = this._getAgent(info.parsedUrl);
        // gives handlers an opportunity to participate
        if (this.handlers) {
            for (const handler of this.handlers) {
                handler.prepareRequest(info.options);
            }
        }
        return info;
    }
    _mergeHeaders(headers) {
        if (this.requestOptions && this.requestOptions.headers) {
            return Object.assign({}, lowercaseKeys(this.requestOptions.headers), lowercaseKeys(headers || {}));
        }
        return lowercaseKeys(headers || {});
    }
    /**
     * Gets an existing header value or returns a default.
     * Handles converting number header values to strings since HTTP headers must be strings.
     * Note: This returns string | string[] since some headers can have multiple values.
     * For headers that must always be a single string (like Content-Type), use the
     * specialized _getExistingOrDefaultContentTypeHeader method instead.
     */
    _getExistingOrDefaultHeader(additionalHeaders, header, _default) {
        let clientHeader;
        if (this.requestOptions && this.requestOptions.headers) {
            const headerValue = lowercaseKeys(this.requestOptions.headers)[header];
            if (headerValue) {
                clientHeader =
                    typeof headerValue === 'number' ? headerValue.toString() : headerValue;
            }
        }
        const additionalValue = additionalHeaders[header];
        if (additionalValue !== undefined) {
            return typeof additionalValue === 'number'
                ? additionalValue.toString()
                : additionalValue;
        }
        if (clientHeader !== undefined) {
            return clientHeader;
        }
        return _default;
    }
    /**
     * Specialized version of _getExistingOrDefaultHeader for Content-Type header.
     * Always returns a single string (not an array) since Content-Type should be a single value.
     * Converts arrays to comma-separated strings and numbers to strings to ensure type safety.
     * This was split from _getExistingOrDefaultHeader to provide stricter typing for callers
     * that assign the result to places expecting a string (e.g., additionalHeaders[Headers.ContentType]).
     */
    _getExistingOrDefaultContentTypeHeader(additionalHeaders, _default) {
        let clientHeader;
        if (this.requestOptions && this.requestOptions.headers) {
            const headerValue = lowercaseKeys(this.requestOptions.headers)[Headers.ContentType];
            if (headerValue) {
                if (typeof headerValue === 'number') {
                    clientHeader = String(headerValue);
                }
                else if (Array.isArray(headerValue)) {
                    clientHeader = headerValue.join(', ');
                }
                else {
                    clientHeader = headerValue;
                }
            }
        }
        const additionalValue = additionalHeaders[Headers.ContentType];
        // Return the first non-undefined value, converting numbers or arrays to strings if necessary
        if (additionalValue !== undefined) {
            if (typeof additionalValue === 'number') {
                return String(additionalValue);
            }
            else if (Array.isArray(additionalValue)) {
                return additionalValue.join(', ');
            }
            else {
                return additionalValue;
            }
        }
        if (clientHeader !== undefined) {
            return clientHeader;
        }
        return _default;
    }
    _getAgent(parsedUrl) {
        let agent;
        const proxyUrl = getProxyUrl(parsedUrl);
        const useProxy = proxyUrl && proxyUrl.hostname;
        if (this._keepAlive && useProxy) {
            agent = this._proxyAgent;
        }
        if (!useProxy) {
            agent = this._agent;
        }
        // if agent is already assigned use that agent.
        if (agent) {
            return agent;
        }
        const usingSsl = parsedUrl.protocol === 'https:';
        let maxSockets = 100;
        if (this.requestOptions) {
            maxSockets = this.requestOptions.maxSockets || external_http_.globalAgent.maxSockets;
        }
        // This is `useProxy` again, but we need to check `proxyURl` directly for TypeScripts's flow analysis.
        if (proxyUrl && proxyUrl.hostname) {
            const agentOptions = {
                maxSockets,
                keepAlive: this._keepAlive,
                proxy: Object.assign(Object.assign({}, ((proxyUrl.username || proxyUrl.password) && {
                    proxyAuth: `${proxyUrl.username}:${proxyUrl.password}`
                })), { host: proxyUrl.hostname, port: proxyUrl.port })
            };
            let tunnelAgent;
            const overHttps = proxyUrl.protocol === 'https:';
            if (usingSsl) {
                tunnelAgent = overHttps ? tunnel.httpsOverHttps : tunnel.httpsOverHttp;
            }
            else {
                tunnelAgent = overHttps ? tunnel.httpOverHttps : tunnel.httpOverHttp;
            }
            agent = tunnelAgent(agentOptions);
            this._proxyAgent = agent;
        }
        // if tunneling agent isn't assigned create a new agent
        if (!agent) {
            const options = { keepAlive: this._keepAlive, maxSockets };
            agent = usingSsl ? new external_https_.Agent(options) : new external_http_.Agent(options);
            this._agent = agent;
        }
        if (usingSsl && this._ignoreSslError) {
            // we don't want to set NODE_TLS_REJECT_UNAUTHORIZED=0 since that will affect request for entire process
            // http.RequestOptions doesn't expose a way to modify RequestOptions.agent.options
            // we have to cast it to any and change it directly
            agent.options = Object.assign(agent.options || {}, {
                rejectUnauthorized: false
            });
        }
        return agent;
    }
    _getProxyAgentDispatcher(parsedUrl, proxyUrl) {
        let proxyAgent;
        if (this._keepAlive) {
            proxyAgent = this._proxyAgentDispatcher;
        }
        // if agent is already assigned use that agent.
        if (proxyAgent) {
            return proxyAgent;
        }
        const usingSsl = parsedUrl.protocol === 'https:';
        proxyAgent = new ProxyAgent(Object.assign({ uri: proxyUrl.href, pipelining: !this._keepAlive ? 0 : 1 }, ((proxyUrl.username || proxyUrl.password) && {
            token: `Basic ${Buffer.from(`${proxyUrl.username}:${proxyUrl.password}`).toString('base64')}`
        })));
        this._proxyAgentDispatcher = proxyAgent;
        if (usingSsl && this._ignoreSslError) {
            // we don't want to set NODE_TLS_REJECT_UNAUTHORIZED=0 since that will affect request for entire process
            // http.RequestOptions doesn't expose a way to modify RequestOptions.agent.options
            // we have to cast it to any and change it directly
            proxyAgent.options = Object.assign(proxyAgent.options.requestTls || {}, {
                rejectUnauthorized: false
            });
        }
        return proxyAgent;
    }
    _getUserAgentWithOrchestrationId(userAgent) {
        const baseUserAgent = userAgent || 'actions/http-client';
        const orchId = process.env['ACTIONS_ORCHESTRATION_ID'];
        if (orchId) {
            // Sanitize the orchestration ID to ensure it contains only valid characters
            // Valid characters: 0-9, a-z, _, -, .
            const sanitizedId = orchId.replace(/[^a-z0-9_.-]/gi, '_');
            return `${baseUserAgent} actions_orchestration_id/${sanitizedId}`;
        }
        return baseUserAgent;
    }
    _performExponentialBackoff(retryNumber) {
        return __awaiter(this, void 0, void 0, function* () {
            retryNumber = Math.min(ExponentialBackoffCeiling, retryNumber);
            const ms = ExponentialBackoffTimeSlice * Math.pow(2, retryNumber);
            return new Promise(resolve => setTimeout(() => resolve(), ms));
        });
    }
    _processResponse(res, options) {
        return __awaiter(this, void 0, void 0, function* () {
            return new Promise((resolve, reject) => __awaiter(this, void 0, void 0, function* () {
                const statusCode = res.message.statusCode || 0;
                const response = {
                    statusCode,
                    result: null,
                    headers: {}
                };
                // not found leads to null obj returned
                if (statusCode === HttpCodes.NotFound) {
                    resolve(response);
                }
                // get the result from the body
                function dateTimeDeserializer(key, value) {
                    if (typeof value === 'string') {
                        const a = new Date(value);
                        if (!isNaN(a.valueOf())) {
                            return a;
                        }
                    }
                    return value;
                }
                let obj;
                let contents;
                try {
                    contents = yield res.readBody();
                    if (contents && contents.length > 0) {
                        if (options && options.deserializeDates) {
                            obj = JSON.parse(contents, dateTimeDeserializer);
                        }
                        else {
                            obj = JSON.parse(contents);
                        }
                        response.result = obj;
                    }
                    response.headers = res.message.headers;
                }
                catch (err) {
                    // Invalid resource (contents not json);  leaving result obj null
                }
                // note that 3xx redirects are handled by the http layer.
                if (statusCode > 299) {
                    let msg;
                    // if exception/error in body, attempt to get better error
                    if (obj && obj.message) {
                        msg = obj.message;
                    }
                    else if (contents && contents.length > 0) {
                        // it may be the case that the exception is in the body message as string
                        msg = contents;
                    }
                    else {
                        msg = `Failed request: (${statusCode})`;
                    }
                    const err = new HttpClientError(msg, statusCode);
                    err.result = response.result;
                    reject(err);
                }
                else {
                    resolve(response);
                }
            }));
        });
    }
}
const lowercaseKeys = (obj) => Object.keys(obj).reduce((c, k) => ((c[k.toLowerCase()] = obj[k]), c), {});
//# sourceMappingURL=index.js.map

/***/ })

/******/ });
/************************************************************************/
/******/ // The module cache
/******/ var __webpack_module_cache__ = {};
/******/ 
/******/ // The require function
/******/ function __nccwpck_require__(moduleId) {
/******/ 	// Check if module is in cache
/******/ 	var cachedModule = __webpack_module_cache__[moduleId];
/******/ 	if (cachedModule !== undefined) {
/******/ 		return cachedModule.exports;
/******/ 	}
/******/ 	// Create a new module (and put it into the cache)
/******/ 	var module = __webpack_module_cache__[moduleId] = {
/******/ 		// no module.id needed
/******/ 		// no module.loaded needed
/******/ 		exports: {}
/******/ 	};
/******/ 
/******/ 	// Execute the module function
/******/ 	var threw = true;
/******/ 	try {
/******/ 		__webpack_modules__[moduleId].call(module.exports, module, module.exports, __nccwpck_require__);
/******/ 		threw = false;
/******/ 	} finally {
/******/ 		if(threw) delete __webpack_module_cache__[moduleId];
/******/ 	}
/******/ 
/******/ 	// Return the exports of the module
/******/ 	return module.exports;
/******/ }
/******/ 
/******/ // expose the modules object (__webpack_modules__)
/******/ __nccwpck_require__.m = __webpack_modules__;
/******/ 
/************************************************************************/
/******/ /* webpack/runtime/asset-relocator-loader */
/******/ if (typeof __nccwpck_require__ !== 'undefined') __nccwpck_require__.ab = decodeURIComponent(new URL('.', import.meta.url).pathname).slice(import.meta.url.match(/^file:\/\/\/\w:/) ? 1 : 0, -1) + "/";
/******/ 
/******/ /* webpack/runtime/async module */
/******/ (() => {
/******/ 	var webpackQueues = typeof Symbol === "function" ? Symbol("webpack queues") : "__webpack_queues__";
/******/ 	var webpackExports = typeof Symbol === "function" ? Symbol("webpack exports") : "__webpack_exports__";
/******/ 	var webpackError = typeof Symbol === "function" ? Symbol("webpack error") : "__webpack_error__";
/******/ 	var resolveQueue = (queue) => {
/******/ 		if(queue && queue.d < 1) {
/******/ 			queue.d = 1;
/******/ 			queue.forEach((fn) => (fn.r--));
/******/ 			queue.forEach((fn) => (fn.r-- ? fn.r++ : fn()));
/******/ 		}
/******/ 	}
/******/ 	var wrapDeps = (deps) => (deps.map((dep) => {
/******/ 		if(dep !== null && typeof dep === "object") {
/******/ 			if(dep[webpackQueues]) return dep;
/******/ 			if(dep.then) {
/******/ 				var queue = [];
/******/ 				queue.d = 0;
/******/ 				dep.then((r) => {
/******/ 					obj[webpackExports] = r;
/******/ 					resolveQueue(queue);
/******/ 				}, (e) => {
/******/ 					obj[webpackError] = e;
/******/ 					resolveQueue(queue);
/******/ 				});
/******/ 				var obj = {};
/******/ 				obj[webpackQueues] = (fn) => (fn(queue));
/******/ 				return obj;
/******/ 			}
/******/ 		}
/******/ 		var ret = {};
/******/ 		ret[webpackQueues] = x => {};
/******/ 		ret[webpackExports] = dep;
/******/ 		return ret;
/******/ 	}));
/******/ 	__nccwpck_require__.a = (module, body, hasAwait) => {
/******/ 		var queue;
/******/ 		hasAwait && ((queue = []).d = -1);
/******/ 		var depQueues = new Set();
/******/ 		var exports = module.exports;
/******/ 		var currentDeps;
/******/ 		var outerResolve;
/******/ 		var reject;
/******/ 		var promise = new Promise((resolve, rej) => {
/******/ 			reject = rej;
/******/ 			outerResolve = resolve;
/******/ 		});
/******/ 		promise[webpackExports] = exports;
/******/ 		promise[webpackQueues] = (fn) => (queue && fn(queue), depQueues.forEach(fn), promise["catch"](x => {}));
/******/ 		module.exports = promise;
/******/ 		body((deps) => {
/******/ 			currentDeps = wrapDeps(deps);
/******/ 			var fn;
/******/ 			var getResult = () => (currentDeps.map((d) => {
/******/ 				if(d[webpackError]) throw d[webpackError];
/******/ 				return d[webpackExports];
/******/ 			}))
/******/ 			var promise = new Promise((resolve) => {
/******/ 				fn = () => (resolve(getResult));
/******/ 				fn.r = 0;
/******/ 				var fnQueue = (q) => (q !== queue && !depQueues.has(q) && (depQueues.add(q), q && !q.d && (fn.r++, q.push(fn))));
/******/ 				currentDeps.map((dep) => (dep[webpackQueues](fnQueue)));
/******/ 			});
/******/ 			return fn.r ? promise : getResult();
/******/ 		}, (err) => ((err ? reject(promise[webpackError] = err) : outerResolve(exports)), resolveQueue(queue)));
/******/ 		queue && queue.d < 0 && (queue.d = 0);
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/compat get default export */
/******/ (() => {
/******/ 	// getDefaultExport function for compatibility with non-harmony modules
/******/ 	__nccwpck_require__.n = (module) => {
/******/ 		var getter = module && module.__esModule ?
/******/ 			() => (module['default']) :
/******/ 			() => (module);
/******/ 		__nccwpck_require__.d(getter, { a: getter });
/******/ 		return getter;
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/create fake namespace object */
/******/ (() => {
/******/ 	var getProto = Object.getPrototypeOf ? (obj) => (Object.getPrototypeOf(obj)) : (obj) => (obj.__proto__);
/******/ 	var leafPrototypes;
/******/ 	// create a fake namespace object
/******/ 	// mode & 1: value is a module id, require it
/******/ 	// mode & 2: merge all properties of value into the ns
/******/ 	// mode & 4: return value when already ns object
/******/ 	// mode & 16: return value when it's Promise-like
/******/ 	// mode & 8|1: behave like require
/******/ 	__nccwpck_require__.t = function(value, mode) {
/******/ 		if(mode & 1) value = this(value);
/******/ 		if(mode & 8) return value;
/******/ 		if(typeof value === 'object' && value) {
/******/ 			if((mode & 4) && value.__esModule) return value;
/******/ 			if((mode & 16) && typeof value.then === 'function') return value;
/******/ 		}
/******/ 		var ns = Object.create(null);
/******/ 		__nccwpck_require__.r(ns);
/******/ 		var def = {};
/******/ 		leafPrototypes = leafPrototypes || [null, getProto({}), getProto([]), getProto(getProto)];
/******/ 		for(var current = mode & 2 && value; typeof current == 'object' && !~leafPrototypes.indexOf(current); current = getProto(current)) {
/******/ 			Object.getOwnPropertyNames(current).forEach((key) => (def[key] = () => (value[key])));
/******/ 		}
/******/ 		def['default'] = () => (value);
/******/ 		__nccwpck_require__.d(ns, def);
/******/ 		return ns;
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/define property getters */
/******/ (() => {
/******/ 	// define getter functions for harmony exports
/******/ 	__nccwpck_require__.d = (exports, definition) => {
/******/ 		for(var key in definition) {
/******/ 			if(__nccwpck_require__.o(definition, key) && !__nccwpck_require__.o(exports, key)) {
/******/ 				Object.defineProperty(exports, key, { enumerable: true, get: definition[key] });
/******/ 			}
/******/ 		}
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/ensure chunk */
/******/ (() => {
/******/ 	__nccwpck_require__.f = {};
/******/ 	// This file contains only the entry chunk.
/******/ 	// The chunk loading function for additional chunks
/******/ 	__nccwpck_require__.e = (chunkId) => {
/******/ 		return Promise.all(Object.keys(__nccwpck_require__.f).reduce((promises, key) => {
/******/ 			__nccwpck_require__.f[key](chunkId, promises);
/******/ 			return promises;
/******/ 		}, []));
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/get javascript chunk filename */
/******/ (() => {
/******/ 	// This function allow to reference async chunks
/******/ 	__nccwpck_require__.u = (chunkId) => {
/******/ 		// return url for filenames based on template
/******/ 		return "" + chunkId + ".index.js";
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/hasOwnProperty shorthand */
/******/ (() => {
/******/ 	__nccwpck_require__.o = (obj, prop) => (Object.prototype.hasOwnProperty.call(obj, prop))
/******/ })();
/******/ 
/******/ /* webpack/runtime/make namespace object */
/******/ (() => {
/******/ 	// define __esModule on exports
/******/ 	__nccwpck_require__.r = (exports) => {
/******/ 		if(typeof Symbol !== 'undefined' && Symbol.toStringTag) {
/******/ 			Object.defineProperty(exports, Symbol.toStringTag, { value: 'Module' });
/******/ 		}
/******/ 		Object.defineProperty(exports, '__esModule', { value: true });
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/import chunk loading */
/******/ (() => {
/******/ 	// no baseURI
/******/ 	
/******/ 	// object to store loaded and loading chunks
/******/ 	// undefined = chunk not loaded, null = chunk preloaded/prefetched
/******/ 	// [resolve, Promise] = chunk loading, 0 = chunk loaded
/******/ 	var installedChunks = {
/******/ 		792: 0
/******/ 	};
/******/ 	
/******/ 	var installChunk = (data) => {
/******/ 		var {ids, modules, runtime} = data;
/******/ 		// add "modules" to the modules object,
/******/ 		// then flag all "ids" as loaded and fire callback
/******/ 		var moduleId, chunkId, i = 0;
/******/ 		for(moduleId in modules) {
/******/ 			if(__nccwpck_require__.o(modules, moduleId)) {
/******/ 				__nccwpck_require__.m[moduleId] = modules[moduleId];
/******/ 			}
/******/ 		}
/******/ 		if(runtime) runtime(__nccwpck_require__);
/******/ 		for(;i < ids.length; i++) {
/******/ 			chunkId = ids[i];
/******/ 			if(__nccwpck_require__.o(installedChunks, chunkId) && installedChunks[chunkId]) {
/******/ 				installedChunks[chunkId][0]();
/******/ 			}
/******/ 			installedChunks[ids[i]] = 0;
/******/ 		}
/******/ 	
/******/ 	}
/******/ 	
/******/ 	__nccwpck_require__.f.j = (chunkId, promises) => {
/******/ 			// import() chunk loading for javascript
/******/ 			var installedChunkData = __nccwpck_require__.o(installedChunks, chunkId) ? installedChunks[chunkId] : undefined;
/******/ 			if(installedChunkData !== 0) { // 0 means "already installed".
/******/ 	
/******/ 				// a Promise means "currently loading".
/******/ 				if(installedChunkData) {
/******/ 					promises.push(installedChunkData[1]);
/******/ 				} else {
/******/ 					if(true) { // all chunks have JS
/******/ 						// setup Promise in chunk cache
/******/ 						var promise = import("./" + __nccwpck_require__.u(chunkId)).then(installChunk, (e) => {
/******/ 							if(installedChunks[chunkId] !== 0) installedChunks[chunkId] = undefined;
/******/ 							throw e;
/******/ 						});
/******/ 						var promise = Promise.race([promise, new Promise((resolve) => (installedChunkData = installedChunks[chunkId] = [resolve]))])
/******/ 						promises.push(installedChunkData[1] = promise);
/******/ 					}
/******/ 				}
/******/ 			}
/******/ 	};
/******/ 	
/******/ 	// no prefetching
/******/ 	
/******/ 	// no preloaded
/******/ 	
/******/ 	// no external install chunk
/******/ 	
/******/ 	// no on chunks loaded
/******/ })();
/******/ 
/************************************************************************/
/******/ 
/******/ // startup
/******/ // Load entry module and return exports
/******/ // This entry module used 'module' so it can't be inlined
/******/ var __webpack_exports__ = __nccwpck_require__(6908);
/******/ __webpack_exports__ = await __webpack_exports__;
/******/ 
