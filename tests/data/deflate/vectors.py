"""Make the permessage-deflate test vectors in this folder (Python 3.11 zlib); run from here.

Each .hex file is one message per line: raw DEFLATE data as a permessage-deflate sender puts it
in a frame (compress + Z_SYNC_FLUSH, less the trailing 00 00 ff ff, RFC 7692 §7.2.1). Every
vector is checked by inflating it with zlib before it is written.
"""
import random
import zlib


def compress(messages, wbits=-15):
    c = zlib.compressobj(9, zlib.DEFLATED, wbits)
    out = []
    for m in messages:
        d = c.compress(m) + c.flush(zlib.Z_SYNC_FLUSH)
        assert d.endswith(b"\x00\x00\xff\xff")
        out.append(d[:-4])
    return out


def write(name, messages, parts):
    d = zlib.decompressobj(-15)
    for m, p in zip(messages, parts):
        assert d.decompress(p + b"\x00\x00\xff\xff") == m
    with open(name, "w") as f:
        f.write("".join(p.hex() + "\n" for p in parts))


# One compressor, two messages (context takeover): the second is a single back-reference into
# the first, so a fresh inflater fails on it alone ("invalid distance too far back").
text = b"Hello, context takeover!"
pair = compress([text, text])
try:
    zlib.decompressobj(-15).decompress(pair[1] + b"\x00\x00\xff\xff")
    raise SystemExit("the second message should need the first")
except zlib.error:
    pass
write("takeover-pair.hex", [text, text], pair)

# 300 random lower-case letters twice with a 15-bit window: the second half is a back-reference
# of distance 300, more than 2^8. With a 9-bit window zlib (whose real reach is 2^9 - 262 = 250)
# finds no match, so the 15-bit output being far smaller shows the distance-300 match is there.
random.seed(7)
s = bytes(random.choice(b"abcdefghijklmnopqrstuvwxyz") for _ in range(300))
far = compress([s + s])
assert len(far[0]) < 250 and len(compress([s + s], -9)[0]) > 350
write("far-reference.hex", [s + s], far)
