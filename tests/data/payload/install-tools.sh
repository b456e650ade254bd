#!/bin/sh
# What capture.sh needs: dumpcap and editcap (Debian's tshark), mosquitto (Debian), Python
# websockets, msgpack, cbor2, protobuf, grpcio-tools (its protoc) and autobahn (PyPI), and Node packages in ${NODE_DIR:-/tmp/wsinspect-payload-node}
# (set NODE_PATH to its node_modules for capture.sh). Asks nothing; run as root.
set -e
export DEBIAN_FRONTEND=noninteractive
command -v dumpcap >/dev/null && command -v editcap >/dev/null && command -v mosquitto >/dev/null || {
  apt-get update
  apt-get install -y tshark mosquitto
}
pkgs="websockets msgpack cbor2 protobuf grpcio-tools autobahn"
pip install $pkgs || pip install --break-system-packages $pkgs
command -v node >/dev/null || apt-get install -y nodejs npm
dir=${NODE_DIR:-/tmp/wsinspect-payload-node}
mkdir -p "$dir" && (cd "$dir" && npm install --silent socket.io@4 socket.io-client@4 mqtt@5 @stomp/stompjs@7 ws@8 graphql@16 graphql-ws@5 \
  sio2@npm:socket.io@2 sio2-client@npm:socket.io-client@2 sockjs@0.3 sockjs-client@1 @rails/actioncable@7)
echo "NODE_PATH=$dir/node_modules"
