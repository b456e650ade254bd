#!/bin/sh
# Record the fixtures of this directory: real application protocols over WebSocket on loopback,
# captured by dumpcap, one pcapng per protocol. See README.md for what each holds.
# Needs what install-tools.sh installs (dumpcap, mosquitto, Python msgpack/cbor2/protobuf/grpcio-tools/autobahn/
# websockets, Node with socket.io, socket.io-client, mqtt, @stomp/stompjs, graphql, graphql-ws, sockjs, sockjs-client, @rails/actioncable and ws in a temporary
# directory named by NODE_PATH). Every process this script starts is stopped by it.
set -e
cd "$(dirname "$0")"
: "${NODE_PATH:?set NODE_PATH to the node_modules install-tools.sh made}"
export NODE_PATH
port=47440
tmp=$(mktemp -d)
cleanup() {
  for p in $cap $broker; do kill "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
cap=
broker=

# record NAME PORT COMMAND...: capture the port on lo while COMMAND runs.
record() {
  name=$1 p=$2
  shift 2
  dumpcap -q -i lo -f "tcp port $p" -w "$tmp/$name.pcapng" 2>/dev/null & cap=$!
  sleep 2
  "$@"
  sleep 1
  kill -INT $cap; wait $cap || true
  cap=
  # The section, interface and packet blocks only (no comments or statistics).
  editcap -F pcapng "$tmp/$name.pcapng" "$name.pcapng"
}

record socketio $port node socketio.js $port

# Mosquitto 2.0.11 (Debian 12) exits when its only listener is a websockets one (fixed in
# 2.0.12), so a plain MQTT listener on loopback comes first; nothing connects to it.
cat > "$tmp/mosquitto.conf" <<CONF
listener $((port + 9)) 127.0.0.1
listener $((port + 1)) 127.0.0.1
protocol websockets
allow_anonymous true
persistence false
CONF
mosquitto -c "$tmp/mosquitto.conf" & broker=$!
sleep 1
record mqtt $((port + 1)) node mqtt.js $((port + 1))
kill $broker; wait $broker || true
broker=

record stomp $((port + 2)) node stomp.js $((port + 2))
python3 -m grpc_tools.protoc -I. --python_out="$tmp" chat.proto
PYTHONPATH="$tmp" record binary $((port + 3)) python3 binary.py $((port + 3))
record graphql $((port + 4)) node graphql.js $((port + 4))
record socketio2 $((port + 5)) node socketio2.js $((port + 5))
record sockjs $((port + 6)) node sockjs.js $((port + 6))
record wamp $((port + 7)) python3 wamp.py $((port + 7))
record actioncable $((port + 8)) node actioncable.js $((port + 8))
ls -l ./*.pcapng
