#!/bin/sh
# Record cases.pcapng and cases.json: the cases Wireshark's dissector gets wrong or that a
# capture must show (cases.py says which), from real peers on loopback: Python `websockets` as
# server and client, and a real headless Chromium client driven by playwright-core.
# Needs what install-tools.sh installs, plus chromium (apt-get install chromium) and
# playwright-core (NODE_PATH naming a node_modules that holds it: tests/browser/node_modules
# after `cargo xtask test`, or `npm install playwright-core` in a temporary directory).
# Every process this script starts is stopped by it.
set -e
cd "$(dirname "$0")"
port=47430
dumpcap -q -i lo -f "tcp port $port" -w /tmp/wsinspect-cases-$$.pcapng & cap=$!
trap 'kill $cap 2>/dev/null || true' EXIT
sleep 2
CHROMIUM_CLIENT=1 python3 cases.py $port
sleep 1
kill -INT $cap; wait $cap || true
trap - EXIT
editcap -F pcapng /tmp/wsinspect-cases-$$.pcapng cases.pcapng
rm -f /tmp/wsinspect-cases-$$.pcapng
