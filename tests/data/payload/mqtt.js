// MQTT.js clients over WebSocket against mosquitto's websockets listener on 127.0.0.1: one
// MQTT 3.1.1 session and one MQTT 5 session (with properties), each subscribing, publishing
// (QoS 0 and 1) and receiving its own messages, then disconnecting. Stops by itself (8 s at most).
const port = Number(process.argv[2]);
const mqtt = require('mqtt');
const timer = setTimeout(() => process.exit(1), 8000);

function session(version, clientId, done) {
  const c = mqtt.connect(`ws://127.0.0.1:${port}`, { protocolVersion: version, clientId, reconnectPeriod: 0, keepalive: 30 });
  let got = 0;
  c.on('connect', () => {
    c.subscribe('sensors/#', { qos: 1 }, () => {
      const props = version === 5 ? { properties: { contentType: 'application/json', userProperties: { unit: 'celsius' } } } : {};
      c.publish('sensors/t1', JSON.stringify({ t: 21.5, v: version }), { qos: 1, ...props });
      c.publish('sensors/door', 'open', { qos: 0 });
    });
  });
  c.on('message', () => {
    got += 1;
    if (got === 2) c.end(false, {}, done);
  });
}

session(4, 'wsinspect-311', () => session(5, 'wsinspect-5', () => { clearTimeout(timer); process.exit(0); }));
