'use strict';

// A remote-controlled WebSocket peer built on the Node.js `ws` library, for
// tests/interop/test_node_ws.py.
//
// Usage: node peer.js server|client '<JSON options>'
//
//   server options: {"perMessageDeflate": false | true | {...ws options}}
//   client options: {"url": "ws://...", "perMessageDeflate": ...}
//
// The peer reads commands from stdin, one JSON object per line, and applies
// them to the current connection:
//
//   {"op": "send", "text": "..."}                    a text message
//   {"op": "send", "base64": "..."}                  a binary message
//   {"op": "send", ..., "compress": false}           not compressed
//   {"op": "fragments", "fragments": [{"text": ...}, {"ping": ...}, ...]}
//                                                    one fragmented message,
//                                                    maybe with pings inside
//   {"op": "ping", "base64": "..."}                  a ping
//   {"op": "close", "code": 4000, "reason": "bye"}   the closing handshake
//   {"op": "exit"}                                   exit now
//
// It writes events to stdout, one JSON object per line:
//
//   {"event": "listening", "port": N}                server: ready
//   {"event": "open", ...}                           handshake done
//   {"event": "message", "binary": b, "length": n, "sha256": hex,
//    "text": ... | "base64": ...}                    content if <= 64 KiB
//   {"event": "ping" | "pong", "base64": "..."}
//   {"event": "close", "code": n, "reason": "..."}
//   {"event": "error", "message": "..."}
//
// The peer exits when stdin is closed, so it never outlives the test.

const crypto = require('crypto');
const readline = require('readline');
const WebSocket = require('ws');

const INLINE_LIMIT = 65536;

const [mode, rawOptions] = process.argv.slice(2);
const options = JSON.parse(rawOptions || '{}');

function emit(event) {
  process.stdout.write(JSON.stringify(event) + '\n');
}

function reportError(err) {
  emit({ event: 'error', message: String((err && err.message) || err) });
}

// Translate the test's option into ws's perMessageDeflate option. Messages
// of every size are compressed (threshold 0) so that small messages exercise
// the extension too.
function deflateOption(value) {
  if (!value) return false;
  return Object.assign({ threshold: 0 }, value === true ? {} : value);
}

function extensionsHeader(lines) {
  for (const line of lines) {
    const index = line.indexOf(':');
    if (line.slice(0, index).trim().toLowerCase() === 'sec-websocket-extensions') {
      return line.slice(index + 1).trim();
    }
  }
  return null;
}

let current = null;

function attach(ws) {
  current = ws;
  ws.on('message', (data, isBinary) => {
    const event = {
      event: 'message',
      binary: isBinary,
      length: data.length,
      sha256: crypto.createHash('sha256').update(data).digest('hex')
    };
    if (data.length <= INLINE_LIMIT) {
      if (isBinary) event.base64 = data.toString('base64');
      else event.text = data.toString('utf8');
    }
    emit(event);
  });
  ws.on('ping', (data) => emit({ event: 'ping', base64: data.toString('base64') }));
  ws.on('pong', (data) => emit({ event: 'pong', base64: data.toString('base64') }));
  ws.on('close', (code, reason) => {
    emit({ event: 'close', code, reason: reason.toString('utf8') });
  });
  ws.on('error', reportError);
}

function payload(item) {
  if (typeof item.text === 'string') return [item.text, false];
  return [Buffer.from(item.base64 || '', 'base64'), true];
}

function sent(err) {
  if (err) reportError(err);
}

const commands = {
  send(cmd) {
    const [data, binary] = payload(cmd);
    current.send(data, { binary, compress: cmd.compress !== false, fin: true }, sent);
  },
  fragments(cmd) {
    // Items are message fragments, or {"ping": base64} for a ping between
    // two fragments (a control frame interleaved in a fragmented message).
    let last = -1;
    cmd.fragments.forEach((item, index) => {
      if (!('ping' in item)) last = index;
    });
    cmd.fragments.forEach((item, index) => {
      if ('ping' in item) {
        current.ping(Buffer.from(item.ping, 'base64'), undefined, sent);
        return;
      }
      const [data, binary] = payload(item);
      current.send(
        data,
        { binary, compress: cmd.compress !== false, fin: index === last },
        sent
      );
    });
  },
  ping(cmd) {
    current.ping(Buffer.from(cmd.base64 || '', 'base64'), undefined, sent);
  },
  close(cmd) {
    current.close(cmd.code, cmd.reason);
  },
  exit() {
    process.exit(0);
  }
};

function startServer() {
  const wss = new WebSocket.WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    perMessageDeflate: deflateOption(options.perMessageDeflate)
  });
  let responseExtensions = null;
  wss.on('headers', (headers) => {
    responseExtensions = extensionsHeader(headers);
  });
  wss.on('listening', () => emit({ event: 'listening', port: wss.address().port }));
  wss.on('connection', (ws, req) => {
    attach(ws);
    emit({
      event: 'open',
      path: req.url,
      requestExtensions: req.headers['sec-websocket-extensions'] || null,
      responseExtensions,
      extensions: ws.extensions
    });
  });
  wss.on('error', reportError);
}

function startClient() {
  const ws = new WebSocket(options.url, {
    perMessageDeflate: deflateOption(options.perMessageDeflate)
  });
  let responseExtensions = null;
  ws.on('upgrade', (res) => {
    responseExtensions = res.headers['sec-websocket-extensions'] || null;
  });
  ws.on('unexpected-response', (req, res) => {
    reportError(`unexpected response: HTTP ${res.statusCode}`);
    req.destroy();
  });
  ws.on('open', () => {
    emit({ event: 'open', responseExtensions, extensions: ws.extensions });
  });
  attach(ws);
}

const input = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
input.on('line', (line) => {
  if (!line.trim()) return;
  const cmd = JSON.parse(line);
  try {
    if (!current && cmd.op !== 'exit') throw new Error(`${cmd.op}: no connection`);
    commands[cmd.op](cmd);
  } catch (err) {
    reportError(err);
  }
});
input.on('close', () => process.exit(0));

if (mode === 'server') startServer();
else if (mode === 'client') startClient();
else {
  process.stderr.write(`usage: node peer.js server|client '<JSON options>'\n`);
  process.exit(2);
}
