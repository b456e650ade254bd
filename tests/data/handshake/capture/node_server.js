const { WebSocketServer } = require('ws');
const wss = new WebSocketServer({ host: '127.0.0.1', port: +process.argv[2], perMessageDeflate: true,
  handleProtocols: (protocols) => protocols.has('chat') ? 'chat' : false });
wss.on('connection', (s) => s.on('message', (m, bin) => s.send(m, { binary: bin })));
setTimeout(() => process.exit(0), +process.argv[3] * 1000);
