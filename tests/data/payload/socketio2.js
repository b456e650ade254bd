// The same chat room on Socket.IO 2 (Engine.IO v3, Socket.IO protocol v4), installed under the
// npm aliases sio2 and sio2-client: its binary attachments go as 0x04-prefixed binary messages.
// WebSocket transport only; stops by itself (5 s at most).
const port = Number(process.argv[2]);
const server = require('sio2')(port, { transports: ['websocket'], perMessageDeflate: false });
const io = require('sio2-client');

server.on('connection', (socket) => {
  socket.on('login', (user, ack) => ack({ ok: true, welcome: `hello ${user.name}` }));
  socket.on('upload', (name, bytes, ack) => ack({ name, size: bytes.length }));
});
server.of('/chat').on('connection', (socket) => {
  socket.on('chat message', (text) => server.of('/chat').emit('chat message', { from: 'bob', text }));
});

const opts = { transports: ['websocket'], reconnection: false };
const main = io(`http://127.0.0.1:${port}`, opts);
const timer = setTimeout(() => process.exit(1), 5000);
main.on('connect', () => {
  main.emit('login', { name: 'bob' }, () => {
    const chat = io(`http://127.0.0.1:${port}/chat`, opts);
    chat.on('connect', () => chat.emit('chat message', 'hello v2'));
    chat.once('chat message', () => {
      main.emit('upload', 'v2.bin', Buffer.from([9, 8, 7]), (info) => {
        console.log('ack', JSON.stringify(info));
        setTimeout(() => {
          chat.close();
          main.close();
          server.close();
          clearTimeout(timer);
          process.exit(0);
        }, 100);
      });
    });
  });
});
