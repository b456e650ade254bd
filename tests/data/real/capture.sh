#!/bin/sh
# Record node-client_py-server conversations through the loopback relay of ../handshake/capture.
# Needs `pip install websockets` (17.4 used) and `npm install ws` (8.x) with NODE_PATH set.
set -e
cd "$(dirname "$0")"
python3 messages.py > messages.json
port=47310
for mode in ctx nct; do
  port=$((port + 2))
  python3 server.py $port $mode & srv=$!
  python3 ../handshake/capture/relay.py $((port + 1)) $port $mode & rel=$!
  sleep 1
  node client.js $((port + 1)) < messages.json
  wait $rel; kill $srv 2>/dev/null || true; wait $srv 2>/dev/null || true
  mv $mode.client $mode.client.bin; mv $mode.server $mode.server.bin
done
