// @stomp/stompjs 7 (a real STOMP 1.2 client) over WebSocket against a small STOMP broker written
// here on Node `ws` (subprotocol v12.stomp): CONNECT/CONNECTED with heart-beats, SUBSCRIBE, SEND
// with a JSON body and content-length, MESSAGE back, a receipt, DISCONNECT. Stops by itself.
const port = Number(process.argv[2]);
const { WebSocketServer, WebSocket } = require('ws');
Object.assign(global, { WebSocket });
const { Client } = require('@stomp/stompjs');

function frame(command, headers, body = '') {
  const lines = [command, ...Object.entries(headers).map(([k, v]) => `${k}:${v}`), '', body];
  return lines.join('\n') + '\0';
}

// One frame per message (what stompjs sends); heart-beats are bare EOLs.
const wss = new WebSocketServer({ host: '127.0.0.1', port, handleProtocols: (p) => (p.has('v12.stomp') ? 'v12.stomp' : false), perMessageDeflate: false });
wss.on('connection', (ws) => {
  const subs = new Map();
  let n = 0;
  ws.on('message', (data) => {
    const text = data.toString();
    if (text === '\n' || text === '\r\n') return;
    const [head, ...rest] = text.split('\n\n');
    const [command, ...lines] = head.split('\n');
    const h = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)]));
    const body = rest.join('\n\n').replace(/\0$/, '');
    if (command === 'CONNECT' || command === 'STOMP') ws.send(frame('CONNECTED', { version: '1.2', 'heart-beat': '0,0', server: 'wsinspect-test/1.0' }));
    if (command === 'SUBSCRIBE') subs.set(h.destination, h.id);
    if (command === 'SEND' && subs.has(h.destination)) {
      n += 1;
      ws.send(frame('MESSAGE', { subscription: subs.get(h.destination), 'message-id': `m-${n}`, destination: h.destination, 'content-type': h['content-type'] || 'text/plain', 'content-length': Buffer.byteLength(body) }, body));
    }
    if (h.receipt) ws.send(frame('RECEIPT', { 'receipt-id': h.receipt }));
  });
});

const timer = setTimeout(() => process.exit(1), 5000);
const client = new Client({
  brokerURL: `ws://127.0.0.1:${port}/stomp`,
  heartbeatIncoming: 0,
  heartbeatOutgoing: 0,
  reconnectDelay: 0,
  onConnect: () => {
    client.subscribe('/topic/prices', (m) => {
      console.log('got', m.headers.destination, m.body);
      client.deactivate().then(() => wss.close(() => { clearTimeout(timer); process.exit(0); }));
    });
    client.publish({ destination: '/topic/prices', body: JSON.stringify({ sym: 'ABC', price: 101.5 }), headers: { 'content-type': 'application/json', note: 'a\\cb' } });
  },
});
client.activate();
