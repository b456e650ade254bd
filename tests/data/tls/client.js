// Node `ws` client for capture.sh, run with `node --tls-keylog=FILE client.js PORT NAME`: the
// connection NAME of messages.json over wss to 127.0.0.1 (SNI localhost, cert.pem trusted), its
// TLS 1.3 suite forced with `ciphers`, permessage-deflate on every message (threshold 0) when the
// connection says so; sends each message after the echo of the one before, checks each echo,
// then closes (1000). Exits 0 when all came back, 1 on time-out, 2 on a wrong echo.
const fs = require('fs');
const WebSocket = require('ws');
const [port, name] = process.argv.slice(2);
const conn = JSON.parse(fs.readFileSync(__dirname + '/messages.json', 'utf8')).find((c) => c.name === name);
const msgs = conn.messages.map((m) => ('text' in m ? m.text : Buffer.from(m.hex, 'hex')));
const ws = new WebSocket('wss://127.0.0.1:' + port + '/' + name, {
  ca: fs.readFileSync(__dirname + '/cert.pem'),
  servername: 'localhost',
  ALPNProtocols: ['http/1.1'],
  minVersion: 'TLSv1.3',
  ciphers: conn.suite,
  perMessageDeflate: conn.deflate ? { threshold: 0 } : false,
});
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
ws.on('error', (e) => { console.error(e); process.exit(3); });
setTimeout(() => process.exit(1), 5000);
