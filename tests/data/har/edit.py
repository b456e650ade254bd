"""Writes edited.har from echo.har, by hand-chosen changes (not from a browser): the server's
last message becomes `h\\udcffllo` (a lone surrogate escape, as Python's json writes a string
decoded with surrogateescape: the byte 0xff, so not UTF-8), and a close from the server with
code 1005 (which must not be sent) is appended.

    python3 edit.py
"""

import json

with open("echo.har") as f:
    har = json.load(f)
har["log"]["creator"] = {"name": "edit.py (echo.har changed by hand)", "version": "1"}
messages = har["log"]["entries"][0]["_webSocketMessages"]
messages[5]["data"] = "h\udcffllo"
messages.append(
    {"type": "receive", "time": messages[5]["time"] + 0.001, "opcode": 8, "data": "A+0="}
)
with open("edited.har", "w") as f:
    f.write(json.dumps(har, indent=2) + "\n")
