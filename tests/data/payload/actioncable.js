// Action Cable's own JavaScript client (@rails/actioncable 7, run in Node with `ws` as its
// WebSocket) against a small Action Cable server written here on Node `ws` (subprotocol
// actioncable-v1-json; Rails itself is not installed): welcome, subscribe to ChatChannel,
// confirm_subscription, a `speak` action performed by the client, its broadcast back, a ping.
// Stops by itself (5 s at most).
const port = Number(process.argv[2]);
const { WebSocketServer, WebSocket } = require('ws');

// The client reads these browser globals.
Object.assign(global, {
  WebSocket,
  addEventListener() {},
  removeEventListener() {},
  window: { addEventListener() {}, removeEventListener() {} },
  document: { visibilityState: 'visible', addEventListener() {}, removeEventListener() {} },
});
const { createConsumer } = require('@rails/actioncable');

const wss = new WebSocketServer({
  host: '127.0.0.1',
  port,
  perMessageDeflate: false,
  handleProtocols: (p) => (p.has('actioncable-v1-json') ? 'actioncable-v1-json' : false),
});
wss.on('connection', (ws) => {
  ws.send(JSON.stringify({ type: 'welcome' }));
  ws.on('message', (data) => {
    const m = JSON.parse(data);
    if (m.command === 'subscribe') {
      ws.send(JSON.stringify({ identifier: m.identifier, type: 'confirm_subscription' }));
      ws.send(JSON.stringify({ type: 'ping', message: 1795870000 }));
    }
    if (m.command === 'message') {
      const d = JSON.parse(m.data);
      ws.send(JSON.stringify({ identifier: m.identifier, message: { from: 'carol', text: d.text } }));
    }
  });
});

const timer = setTimeout(() => process.exit(1), 5000);
const consumer = createConsumer(`ws://127.0.0.1:${port}/cable`);
const sub = consumer.subscriptions.create({ channel: 'ChatChannel', room: 'lobby' }, {
  connected() { this.perform('speak', { text: 'hello cable' }); },
  received(data) {
    console.log('got', JSON.stringify(data));
    consumer.disconnect();
    wss.close(() => { clearTimeout(timer); process.exit(0); });
  },
});
void sub;
