# The TLS connections capture.sh makes, in order, and the messages each client sends (the server
# echoes each back). Text as {"text"}, binary as {"hex"}. "keylog": whether the connection's
# secrets are in keylog.txt (one is left out on purpose). Written to messages.json.
import json

SMALL = [
    {"text": "Hello over TLS"},
    {"text": "{\"type\":\"greeting\",\"n\":1}"},
    {"hex": bytes([0, 1, 2, 3, 254, 255]).hex()},
    {"text": " ".join(f"word{i % 97}" for i in range(300))},
    {"text": "bye"},
]
# Larger than one TLS record (16 KiB of plaintext), so it spans several.
BIG = {"hex": bytes((i * 7 + 3) % 256 for i in range(17000)).hex()}


def conn(name, client, version, suite, deflate, keylog=True, big=False, key_update=None):
    msgs = SMALL + ([BIG] if big else [])
    c = {"name": name, "client": client, "version": version, "suite": suite,
         "deflate": deflate, "keylog": keylog, "sni": "localhost", "messages": msgs}
    if key_update is not None:
        # The client asks for a TLS 1.3 KeyUpdate (update_requested: the server updates its
        # keys too) before sending message number `key_update`.
        c["key_update_before"] = key_update
    return c


CONNECTIONS = [
    conn("py13-aes256", "python", "1.3", "TLS_AES_256_GCM_SHA384", True),
    conn("py12-aes128", "python", "1.2", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", False, big=True),
    conn("py12-chacha", "python", "1.2", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", True),
    conn("py12-aes256", "python", "1.2", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", False),
    conn("node13-chacha", "node", "1.3", "TLS_CHACHA20_POLY1305_SHA256", True),
    conn("node13-aes128", "node", "1.3", "TLS_AES_128_GCM_SHA256", False, big=True),
    conn("py13-keyupdate", "python", "1.3", "TLS_AES_256_GCM_SHA384", False, key_update=2),
    conn("py13-nokeys", "python", "1.3", "TLS_AES_256_GCM_SHA384", False, keylog=False),
    # `openssl s_client -verify_return_error` (the certificate is not in its trust store): it
    # ends the handshake with a fatal unknown_ca alert; no messages.
    dict(conn("openssl13-untrusted", "openssl", "1.3", "TLS_AES_256_GCM_SHA384", False),
         messages=[], alert="unknown_ca"),
    dict(conn("openssl12-untrusted", "openssl", "1.2", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
              False), messages=[], alert="unknown_ca"),
    # Recorded on its own (chromium.pcapng): the page's HTTPS connection(s) come with it.
    conn("chromium", "chromium", "1.3", "TLS_AES_256_GCM_SHA384", True),
    # Recorded on its own too (h2.pcapng): WebSocket over HTTP/2 (RFC 8441), Hypercorn server.
    conn("chromium-h2", "chromium", "1.3", "TLS_AES_256_GCM_SHA384", False),
]

if __name__ == "__main__":
    print(json.dumps(CONNECTIONS, indent=1))
