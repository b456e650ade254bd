#!/bin/sh
# Follow TCP Stream dumps of two of the captures here, for `wsinspect decode` (which reads both
# directions of one connection from them): what Wireshark's Follow TCP Stream (hex) shows.
# Needs tshark (apt-get install tshark). Run from this directory.
set -eu
for f in socketio mqtt; do
  tshark -r "$f.pcapng" -q -z follow,tcp,hex,0 > "$f.follow.txt"
done
