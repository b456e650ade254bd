// A Node `ws` client that prints what the library reports, one line each:
// node client.js URL [--protocol P] [--heartbeat MS] [--close] [--hold MS].
// --heartbeat is ws's documented keepalive pattern: ping every MS, terminate() if no pong came.
const WebSocket = require('ws');
const args = process.argv.slice(2);
const opt = (name) => { const i = args.indexOf(name); return i < 0 ? undefined : args[i + 1]; };
const protocol = opt('--protocol');
const heartbeat = Number(opt('--heartbeat') || 0);
const hold = Number(opt('--hold') || 3000);
const ws = new WebSocket(args[0], protocol ? [protocol] : []);
let alive = true;
let timer;
const done = () => { clearInterval(timer); setTimeout(() => process.exit(0), 100); };
ws.on('open', () => {
  console.log('open');
  ws.send('hello');
  if (heartbeat) {
    timer = setInterval(() => {
      if (!alive) { console.log('heartbeat: no pong, terminate()'); ws.terminate(); return; }
      alive = false;
      ws.ping();
    }, heartbeat);
  }
});
ws.on('pong', () => { alive = true; });
ws.on('message', (m) => {
  console.log('message: ' + m);
  if (args.includes('--close')) ws.close(1000, 'bye');
});
ws.on('error', (e) => console.log('error: ' + e.message));
ws.on('close', (code, reason) => { console.log('close: ' + code + ' ' + JSON.stringify(String(reason))); done(); });
setTimeout(() => { console.log('no close within ' + hold + ' ms'); ws.terminate(); }, hold);
