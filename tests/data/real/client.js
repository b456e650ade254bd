// Node `ws` client: sends MESSAGES (from messages.py, on stdin), the large one in 3 fragments.
const WebSocket = require('ws');
const msgs = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const ws = new WebSocket('ws://127.0.0.1:' + process.argv[2] + '/', { perMessageDeflate: { threshold: 0 } });
let got = 0;
ws.on('open', () => {
  for (const m of msgs) {
    if (m.length > 1000) {
      const n = Math.floor(m.length / 3);
      ws.send(m.slice(0, n), { fin: false });
      ws.send(m.slice(n, 2 * n), { fin: false });
      ws.send(m.slice(2 * n), { fin: true });
    } else ws.send(m);
  }
});
ws.on('message', (m) => { if (String(m) !== msgs[got++]) process.exit(2); if (got === msgs.length) ws.close(1000, 'done'); });
ws.on('close', () => process.exit(0));
setTimeout(() => process.exit(1), 5000);
