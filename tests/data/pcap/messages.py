# The messages each WebSocket connection of capture.sh carries (the client sends them in order,
# the server echoes each back). Text as {"text"}, binary as {"hex"}.
import json
big_text = " ".join(f"word{i % 97}" for i in range(500))
big_bin = bytes((i * 7 + 3) % 256 for i in range(4000))
MESSAGES = [
    {"text": "Hello, wsinspect!"},
    {"text": "{\"type\":\"greeting\",\"n\":1}"},
    {"hex": bytes([0, 1, 2, 3, 254, 255]).hex()},
    {"text": big_text},
    {"hex": big_bin.hex()},
    {"text": "bye"},
]
if __name__ == "__main__":
    print(json.dumps(MESSAGES))
