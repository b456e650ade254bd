#!/usr/bin/env python3
"""Rewrite a classic Ethernet pcap with every large IP packet split into IP fragments.

    python3 fragment.py echo.pcap fragmented.pcap [SIZE]

IPv4 packets longer than SIZE bytes of IP payload (default 512) become fragments of at most
SIZE bytes (a multiple of 8) with the More Fragments flag and offsets set, and checksums
recomputed; IPv6 packets get a Fragment extension header (next header 44) in the same way.
The fragments are written in reverse order for every other packet, so a reader must hold them
out of order. Only the standard library: no capture tool changes the traffic's bytes.
"""
import struct
import sys

ETH_HEADER = 14


def checksum(header):
    total = 0
    for i in range(0, len(header), 2):
        total += (header[i] << 8) + header[i + 1]
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def fragment_v4(ip, size, ident):
    ihl = (ip[0] & 0x0F) * 4
    header, payload = bytearray(ip[:ihl]), ip[ihl:]
    if len(payload) <= size:
        return [ip]
    out = []
    for offset in range(0, len(payload), size):
        part = payload[offset:offset + size]
        more = offset + size < len(payload)
        h = bytearray(header)
        struct.pack_into("!H", h, 2, ihl + len(part))
        struct.pack_into("!H", h, 4, ident)
        struct.pack_into("!H", h, 6, (0x2000 if more else 0) | (offset // 8))
        struct.pack_into("!H", h, 10, 0)
        struct.pack_into("!H", h, 10, checksum(h))
        out.append(bytes(h) + part)
    return out


def fragment_v6(ip, size, ident):
    header, payload = bytearray(ip[:40]), ip[40:]
    if len(payload) <= size:
        return [ip]
    next_header = header[6]
    out = []
    for offset in range(0, len(payload), size):
        part = payload[offset:offset + size]
        more = offset + size < len(payload)
        h = bytearray(header)
        h[6] = 44
        struct.pack_into("!H", h, 4, 8 + len(part))
        frag = struct.pack("!BBHI", next_header, 0, offset | (1 if more else 0), ident)
        out.append(bytes(h) + frag + part)
    return out


def main():
    src, dst = sys.argv[1], sys.argv[2]
    size = int(sys.argv[3]) if len(sys.argv) > 3 else 512
    size -= size % 8
    data = open(src, "rb").read()
    magic = data[:4]
    endian = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    assert linktype == 1, "an Ethernet pcap"
    out = bytearray(data[:24])
    pos, ident, count = 24, 0x4000, 0
    while pos + 16 <= len(data):
        sec, frac, incl, orig = struct.unpack(endian + "IIII", data[pos:pos + 16])
        packet = data[pos + 16:pos + 16 + incl]
        pos += 16 + incl
        eth, ip = packet[:ETH_HEADER], packet[ETH_HEADER:]
        ether_type = struct.unpack("!H", eth[12:14])[0]
        ident += 1
        if ether_type == 0x0800:
            pieces = fragment_v4(ip, size, ident)
        elif ether_type == 0x86DD:
            pieces = fragment_v6(ip, size, ident)
        else:
            pieces = [ip]
        if len(pieces) > 1:
            count += 1
            if count % 2 == 0:
                pieces.reverse()
        for piece in pieces:
            frame = eth + piece
            out += struct.pack(endian + "IIII", sec, frac, len(frame), len(frame)) + frame
    open(dst, "wb").write(out)
    print(f"{count} packets fragmented", file=sys.stderr)


if __name__ == "__main__":
    main()
