#!/bin/sh
# What capture.sh needs: dumpcap, editcap and tshark (Debian's tshark package) and Python
# websockets, and Node's ws (in ${NODE_DIR:-/tmp/wsinspect-node}: set NODE_PATH to its
# node_modules for capture.sh). Asks nothing; run as root (or prefix the apt-get lines with sudo).
set -e
export DEBIAN_FRONTEND=noninteractive
command -v dumpcap >/dev/null && command -v editcap >/dev/null && command -v tshark >/dev/null || {
  apt-get update
  apt-get install -y tshark
}
python3 -c 'import websockets' 2>/dev/null || pip install websockets || pip install --break-system-packages websockets
command -v node >/dev/null || apt-get install -y nodejs npm
dir=${NODE_DIR:-/tmp/wsinspect-node}
mkdir -p "$dir" && (cd "$dir" && npm install --silent ws@8)
echo "NODE_PATH=$dir/node_modules"
