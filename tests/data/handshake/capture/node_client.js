const WebSocket = require('ws');
const ws = new WebSocket('ws://127.0.0.1:' + process.argv[2] + '/echo', ['chat', 'superchat'], { perMessageDeflate: true, origin: 'http://127.0.0.1' });
ws.on('open', () => ws.send('Hello from ws'));
ws.on('message', (m) => { console.log(String(m)); ws.close(1000, 'bye'); });
ws.on('close', () => process.exit(0));
setTimeout(() => process.exit(1), 5000);
