#!/bin/sh
# Record the fixtures of this directory: real TLS WebSocket peers (peers.py: Python `websockets`
# server and clients, Node `ws` clients from client.js, `openssl s_client`) on loopback, captured by dumpcap, with
# the clients' TLS secrets written to key logs (NSS key log format).
#   capture.pcapng   the packets, no secrets
#   keylog.txt       every connection's secrets except py13-nokeys's (left out on purpose)
#   embedded.pcapng  capture.pcapng with keylog.txt in a Decryption Secrets Block
#                    (editcap --inject-secrets)
#   chromium.pcapng, chromium-keylog.txt, chromium-embedded.pcapng: headless Chromium
#                    (browser.py), below
#   h2.pcapng, h2-keylog.txt: Chromium and a Hypercorn server over HTTP/2 (over_h2.py), below
# cert.pem/key.pem (self-signed, CN and SAN localhost + 127.0.0.1) are made by cert.sh once and
# committed. Needs what ../pcap/install-tools.sh installs (dumpcap, editcap, tshark, Python
# websockets, NODE_PATH naming a node_modules with `ws`), Chromium (apt-get install chromium;
# CHROMIUM names another binary) and Hypercorn (pip install hypercorn). Every process it starts
# is stopped by it.
set -e
cd "$(dirname "$0")"
port=47440
keys=/tmp/wsinspect-tls-keys-$$
mkdir -p $keys
python3 messages.py > messages.json
dumpcap -q -i lo -f "tcp port $port" -w /tmp/wsinspect-tls-$$.pcapng & cap=$!
trap 'kill $cap 2>/dev/null || true; rm -rf $keys' EXIT
sleep 2
python3 peers.py $port $keys
sleep 1
kill -INT $cap; wait $cap || true
# One key log, in the order of the connections (py13-nokeys wrote none).
for name in $(python3 -c 'import json; print(" ".join(c["name"] for c in json.load(open("messages.json")) if c["keylog"] and c["client"] != "chromium"))'); do
  cat $keys/$name.log
done > keylog.txt
editcap -F pcapng /tmp/wsinspect-tls-$$.pcapng capture.pcapng
editcap --inject-secrets tls,keylog.txt capture.pcapng embedded.pcapng
rm -f /tmp/wsinspect-tls-$$.pcapng
# A real browser on its own: headless Chromium with SSLKEYLOGFILE (browser.py), the page's
# HTTPS connection and its wss connection.
#   chromium.pcapng       the packets, no secrets
#   chromium-keylog.txt   Chromium's key log
port=47441
rm -f $keys/chromium.log
dumpcap -q -i lo -f "tcp port $port" -w /tmp/wsinspect-tls-chromium-$$.pcapng & cap=$!
sleep 2
SSLKEYLOGFILE=$keys/chromium.log python3 browser.py $port ${CHROMIUM:-chromium}
sleep 1
kill -INT $cap; wait $cap || true
cp $keys/chromium.log chromium-keylog.txt
editcap -F pcapng /tmp/wsinspect-tls-chromium-$$.pcapng chromium.pcapng
# With Chromium's secrets embedded: small, so the capture fuzz target is seeded with it.
editcap --inject-secrets tls,chromium-keylog.txt chromium.pcapng chromium-embedded.pcapng
rm -f /tmp/wsinspect-tls-chromium-$$.pcapng
# WebSocket over HTTP/2 (RFC 8441): a Hypercorn server (pip install hypercorn) with ALPN h2, and
# headless Chromium again (over_h2.py).
#   h2.pcapng, h2-keylog.txt
port=47442
rm -f $keys/h2.log
dumpcap -q -i lo -f "tcp port $port" -w /tmp/wsinspect-tls-h2-$$.pcapng & cap=$!
sleep 2
SSLKEYLOGFILE=$keys/h2.log python3 over_h2.py $port ${CHROMIUM:-chromium}
sleep 1
kill -INT $cap; wait $cap || true
cp $keys/h2.log h2-keylog.txt
editcap -F pcapng /tmp/wsinspect-tls-h2-$$.pcapng h2.pcapng
rm -f /tmp/wsinspect-tls-h2-$$.pcapng
