// Node `ws` client for capture.sh: over IPv6 loopback, permessage-deflate on every message
// (threshold 0); sends each message of messages.json after the echo of the one before, checks
// each echo, then closes (1000). Exits 0 when all came back, 1 on time-out, 2 on a wrong echo.
const WebSocket = require('ws');
const msgs = JSON.parse(require('fs').readFileSync(__dirname + '/messages.json', 'utf8'))
  .map((m) => ('text' in m ? m.text : Buffer.from(m.hex, 'hex')));
const ws = new WebSocket('ws://[::1]:' + process.argv[2] + '/node', { perMessageDeflate: { threshold: 0 } });
let got = 0;
ws.on('open', () => ws.send(msgs[0]));
ws.on('message', (m, isBinary) => {
  const want = msgs[got];
  const ok = isBinary ? Buffer.isBuffer(want) && m.equals(want) : m.toString() === want;
  if (!ok) process.exit(2);
  got += 1;
  if (got === msgs.length) ws.close(1000, 'done');
  else ws.send(msgs[got]);
});
ws.on('close', () => process.exit(0));
setTimeout(() => process.exit(1), 5000);
