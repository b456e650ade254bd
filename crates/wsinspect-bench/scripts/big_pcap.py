#!/usr/bin/env python3
"""Make a large pcap of real traffic for the capture benchmark: the packets of a recorded pcap
(tests/data/pcap/echo.pcap) repeated until the file reaches a size, each copy a connection of
its own (client ports renumbered, times shifted by a second a copy).

usage: big_pcap.py SRC.pcap DST.pcap BYTES
"""
import struct, sys
src, dst, target = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = open(src,'rb').read()
gh = data[:24]
magic = struct.unpack('<I', gh[:4])[0]
assert magic == 0xa1b2c3d4, hex(magic)
pkts = []
off = 24
while off < len(data):
    ts, tus, incl, orig = struct.unpack('<IIII', data[off:off+16])
    pkts.append((ts, tus, bytearray(data[off+16:off+16+incl]), orig)); off += 16+incl
size = sum(16+len(p[2]) for p in pkts)
copies = target // size + 1
ports = {}
with open(dst,'wb') as f:
    f.write(gh)
    for c in range(copies):
        for ts, tus, p, orig in pkts:
            p = bytearray(p)
            et = struct.unpack('>H', p[12:14])[0]
            if et == 0x0800: tcp = 14 + (p[14] & 15) * 4; ok = p[23] == 6
            elif et == 0x86dd: tcp = 54; ok = p[20] == 6
            else: ok = False
            if ok:
                for at in (tcp, tcp+2):
                    port = struct.unpack('>H', p[at:at+2])[0]
                    if port not in (47420, 47421):
                        key = (c, port)
                        if key not in ports: ports[key] = 1024 + len(ports) % 64000
                        p[at:at+2] = struct.pack('>H', ports[key])
            f.write(struct.pack('<IIII', ts + c, tus, len(p), orig)); f.write(p)
print(copies, "copies")
