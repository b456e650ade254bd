// A Socket.IO chat room on 127.0.0.1 (socket.io + socket.io-client 4.x, WebSocket transport only):
// a login with an ack, chat messages broadcast in the "/chat" namespace, a binary attachment
// (an upload whose ack carries bytes back), then both sides close. Stops by itself (5 s at most).
const port = Number(process.argv[2]);
const { Server } = require('socket.io');
const { io } = require('socket.io-client');

const server = new Server(port, { transports: ['websocket'], perMessageDeflate: false });
server.on('connection', (socket) => {
  socket.on('login', (user, ack) => ack({ ok: true, users: 1, welcome: `hello ${user.name}` }));
  socket.on('upload', (name, bytes, ack) => ack({ name, size: bytes.length }, Buffer.from([0xca, 0xfe])));
});
server.of('/chat').on('connection', (socket) => {
  socket.on('chat message', (text) => server.of('/chat').emit('chat message', { from: 'alice', text }));
});

const opts = { transports: ['websocket'], reconnection: false, forceNew: false };
const main = io(`http://127.0.0.1:${port}`, opts);
const chat = io(`http://127.0.0.1:${port}/chat`, opts);
const timer = setTimeout(() => process.exit(1), 5000);
main.on('connect', () => {
  main.emit('login', { name: 'alice' }, (reply) => {
    chat.emit('chat message', 'hi everyone');
    chat.once('chat message', () => {
      main.emit('upload', 'photo.bin', Buffer.from([1, 2, 3, 4, 5]), (info, back) => {
        console.log('ack', JSON.stringify(reply), JSON.stringify(info), back.length);
        setTimeout(() => {
          main.disconnect();
          chat.disconnect();
          server.close(() => { clearTimeout(timer); process.exit(0); });
        }, 100);
      });
    });
  });
});
