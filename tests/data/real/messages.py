# The messages each conversation carries (the client sends them, the server echoes them back).
import json, random
random.seed(1)
words = ["frame", "mask", "opcode", "deflate", "window", "context", "takeover", "payload"]
big = " ".join(random.choice(words) for _ in range(12000))
MESSAGES = ["Hello, wsinspect!", "Hello, wsinspect! Hello, wsinspect! Hello again.", big, "Hello, wsinspect!", "bye"]
if __name__ == "__main__":
    print(json.dumps(MESSAGES))
