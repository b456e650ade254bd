#!/bin/sh
# What capture.sh needs: dumpcap, editcap and tshark (Debian's tshark package) and Python
# websockets. Asks nothing; run as root (or prefix the apt-get lines with sudo).
set -e
export DEBIAN_FRONTEND=noninteractive
command -v dumpcap >/dev/null && command -v editcap >/dev/null && command -v tshark >/dev/null || {
  apt-get update
  apt-get install -y tshark
}
python3 -c 'import websockets' 2>/dev/null || pip install websockets || pip install --break-system-packages websockets
