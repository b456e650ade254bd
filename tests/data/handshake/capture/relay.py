# Loopback TCP relay that records each direction of ONE connection to files.
import socket, sys, threading
listen_port, target_port, prefix = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", listen_port)); ls.listen(1); ls.settimeout(20)
c, _ = ls.accept()
s = socket.create_connection(("127.0.0.1", target_port))
def pump(a, b, path):
    with open(path, "wb") as f:
        while True:
            try: d = a.recv(65536)
            except OSError: break
            if not d: break
            f.write(d); f.flush()
            try: b.sendall(d)
            except OSError: break
    try: b.shutdown(socket.SHUT_WR)
    except OSError: pass
t1 = threading.Thread(target=pump, args=(c, s, prefix + ".client")); t2 = threading.Thread(target=pump, args=(s, c, prefix + ".server"))
t1.start(); t2.start(); t1.join(10); t2.join(10)
