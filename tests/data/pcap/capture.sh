#!/bin/sh
# Record the fixtures of this directory: real peers (peers.py, Python `websockets`) on loopback,
# captured by dumpcap, then the same packets as classic pcap and with one packet deleted.
# Needs tshark/dumpcap/editcap (apt-get install tshark), `pip install websockets`, and Node with
# `ws` (NODE_PATH naming a node_modules that holds it; install-tools.sh makes one).
# Every process this script starts is stopped by it.
set -e
cd "$(dirname "$0")"
port=47420
python3 messages.py > messages.json
dumpcap -q -i lo -f "tcp portrange $port-$((port + 1))" -w /tmp/wsinspect-pcap-$$.pcapng & cap=$!
trap 'kill $cap 2>/dev/null || true' EXIT
sleep 2
python3 peers.py $port
sleep 1
kill -INT $cap; wait $cap || true
trap - EXIT
# The section, interface and enhanced packet blocks as dumpcap wrote them (no comments/stats blocks).
editcap -F pcapng /tmp/wsinspect-pcap-$$.pcapng echo.pcapng
rm -f /tmp/wsinspect-pcap-$$.pcapng
# Classic pcap: microsecond and nanosecond timestamps.
editcap -F pcap echo.pcapng echo.pcap
editcap -F nsecpcap echo.pcapng echo-ns.pcap
# Drop one client segment from the middle of the uncompressed 4000-byte binary message (the second
# WebSocket connection): the 4th client packet of 500 payload bytes (well inside the message).
n=$(tshark -r echo.pcapng -Y "tcp.stream == 1 && tcp.dstport == $port && tcp.len == 500" \
  -T fields -e frame.number | sed -n 4p)
echo "deleting packet $n" >&2
editcap echo.pcapng lost-segment.pcapng "$n"
echo "$n" > lost-segment.packet
