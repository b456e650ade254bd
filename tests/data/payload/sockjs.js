// SockJS (sockjs 0.3 server on Node's http, sockjs-client 1.6 in Node, websocket transport only)
// on 127.0.0.1: open, a few messages echoed back (SockJS frames them as a[...]), close.
// Stops by itself (5 s at most).
const port = Number(process.argv[2]);
const http = require('http');
const sockjs = require('sockjs');
const SockJS = require('sockjs-client');

const echo = sockjs.createServer({ log: () => {}, heartbeat_delay: 60000 });
echo.on('connection', (conn) => conn.on('data', (m) => conn.write(`echo: ${m}`)));
const server = http.createServer();
echo.installHandlers(server, { prefix: '/echo' });
const timer = setTimeout(() => process.exit(1), 5000);
server.listen(port, '127.0.0.1', () => {
  const sock = new SockJS(`http://127.0.0.1:${port}/echo`, null, { transports: ['websocket'] });
  let got = 0;
  sock.onopen = () => {
    sock.send('hello');
    sock.send(JSON.stringify({ room: 'lobby', text: 'hi' }));
  };
  sock.onmessage = (e) => {
    console.log('got', e.data);
    got += 1;
    if (got === 2) sock.close(1000, 'bye');
  };
  sock.onclose = () => server.close(() => { clearTimeout(timer); process.exit(0); });
});
