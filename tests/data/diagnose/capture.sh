#!/bin/sh
# Record the failing connections of this directory on loopback (127.0.0.1): nginx as a reverse
# proxy without the Upgrade/Connection headers (refused) and with a 3 s proxy_read_timeout
# (idle timeout), and raw servers that each make exactly one mistake (mistakes.py), each met by
# real clients (Node `ws`: client.js, Python `websockets`: client.py, headless Chromium:
# client.html). Each capture is
# NAME.pcapng; what each client printed goes to clients.json. Every process it starts, it stops.
#
# Needs: dumpcap (apt-get install tshark), nginx (apt-get install nginx-light, or nginx), chromium,
# Python websockets, Node with ws (NODE_PATH naming a node_modules that holds it, default
# /tmp/wsinspect-node/node_modules; ../pcap/install-tools.sh makes one). With --install it
# installs what is missing first (apt-get, pip, npm into /tmp; run as root).
set -e
cd "$(dirname "$0")"
if [ "$1" = "--install" ]; then
  export DEBIAN_FRONTEND=noninteractive
  command -v dumpcap >/dev/null || { apt-get update; apt-get install -y tshark; }
  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || { apt-get update; apt-get install -y nginx-light || apt-get install -y nginx; }
  command -v chromium >/dev/null || { apt-get update; apt-get install -y chromium; }
  sh ../pcap/install-tools.sh
fi
PATH=$PATH:/usr/sbin
NODE_PATH=${NODE_PATH:-/tmp/wsinspect-node/node_modules}
export NODE_PATH
tmp=$(mktemp -d /tmp/wsinspect-diagnose.XXXXXX)
pids=""
cleanup() {
  for p in $pids; do kill "$p" 2>/dev/null || true; done
  for p in $pids; do wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

bg() { "$@" & last=$!; pids="$pids $last"; }
# dumpcap and nginx stop cleanly on SIGINT; the Python servers are simply terminated.
stop() { kill -INT "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
term() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
wait_port() { python3 -c "
import socket, sys, time
for _ in range(100):
    try: socket.create_connection(('127.0.0.1', $1), 0.1).close(); sys.exit(0)
    except OSError: time.sleep(0.05)
sys.exit(1)"; }

# nginx NAME PORT BACKEND EXTRA: a non-daemon nginx with its own prefix, proxying to BACKEND.
nginx_conf() {
  mkdir -p "$tmp/$1/logs"
  cat > "$tmp/$1/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
pid $tmp/$1/nginx.pid;
error_log $tmp/$1/logs/error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path $tmp/$1/body;
  proxy_temp_path $tmp/$1/proxy;
  fastcgi_temp_path $tmp/$1/fastcgi;
  uwsgi_temp_path $tmp/$1/uwsgi;
  scgi_temp_path $tmp/$1/scgi;
  server {
    listen 127.0.0.1:$2;
    location / {
      proxy_pass http://127.0.0.1:$3;
      $4
    }
  }
}
CONF
}

# scenario NAME PORT [BACKEND] -- CLIENT ARGS...: capture both clients against 127.0.0.1:PORT.
scenario() {
  name=$1 port=$2 backend=$3
  shift 3
  filter="tcp port $port"
  [ -n "$backend" ] && filter="$filter or tcp port $backend"
  bg dumpcap -q -i lo -f "$filter" -w "$tmp/$name.pcapng"
  cap=$last
  sleep 2
  timeout 20 node client.js "ws://127.0.0.1:$port/" "$@" > "$tmp/$name.node-ws.txt" 2>&1 || true
  # Headless Chromium, its page's events logged: for the handshake and frame mistakes (its page
  # lives as long as --timeout says, then it leaves with close 1001: no use for the mistakes of
  # time, and it sends no pings).
  case $name in ping-unanswered | idle-timeout | no-close-frame | close-not-answered) ;; *)
    query="url=ws://127.0.0.1:$port/"
    case "$*" in *--protocol*) query="$query&protocol=chat" ;; esac
    case "$*" in *--close*) query="$query&close=1" ;; esac
    wait_ms=6000
    # On a busy machine the page may not get to run before --timeout: try up to 3 times.
    for _ in 1 2 3; do
    timeout 40 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
      --disable-background-networking --disable-component-update --disable-sync \
      --user-data-dir="$tmp/chromium-$name" --enable-logging=stderr --log-level=0 \
      --timeout="$wait_ms" --screenshot="$tmp/$name.png" "file://$PWD/client.html?$query" 2>&1 |
      sed -n 's/.*:INFO:CONSOLE:[0-9]*\] "\(.*\)", source: .*/\1/p' > "$tmp/$name.chromium.txt" || true
    [ -s "$tmp/$name.chromium.txt" ] && break
    done
  ;; esac
  # The Python client's own options use seconds.
  pyargs=$(echo "$@" | sed -e 's/--heartbeat 1000/--ping 1/' -e 's/--hold \([0-9]*\)000/--hold \1/')
  # shellcheck disable=SC2086
  timeout 20 python3 client.py "ws://127.0.0.1:$port/" $pyargs > "$tmp/$name.python-websockets.txt" 2>&1 || true
  sleep 1
  stop "$cap"
  editcap -F pcapng "$tmp/$name.pcapng" "$name.pcapng"
  for c in "$tmp/$name".*.txt; do echo "$c: $(tr '\n' '|' < "$c")" >&2; done
}

# A refused upgrade: nginx forwards the request without Upgrade/Connection (HTTP/1.0).
bg python3 mistakes.py echo 47511; echo_pid=$last; wait_port 47511
nginx_conf refused 47501 47511 ""
bg nginx -p "$tmp/refused" -c "$tmp/refused/nginx.conf"; ng=$last; wait_port 47501
scenario proxy-dropped-upgrade 47501 47511
stop "$ng"
# An idle timeout: nginx forwards WebSocket, but closes after 3 s without traffic.
nginx_conf idle 47502 47511 'proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection "upgrade"; proxy_read_timeout 3s;'
bg nginx -p "$tmp/idle" -c "$tmp/idle/nginx.conf"; ng=$last; wait_port 47502
scenario idle-timeout 47502 47511 --hold 8000
stop "$ng"
term "$echo_pid"

# One mistake each.
port=47530
for mode in http-after-upgrade rsv1-unnegotiated rsv1-on-ping subprotocol accept bare-lf \
  ping-unanswered no-close-frame close-not-answered; do
  port=$((port + 1))
  bg python3 mistakes.py "$mode" "$port"; srv=$last; wait_port "$port"
  case $mode in
    subprotocol) scenario "$mode" "$port" "" --protocol chat ;;
    ping-unanswered) scenario "$mode" "$port" "" --heartbeat 1000 --hold 6000 ;;
    close-not-answered) scenario "$mode" "$port" "" --close --hold 8000 ;;
    *) scenario "$mode" "$port" "" ;;
  esac
  term "$srv"
done

python3 - "$tmp" > clients.json <<'PY'
import glob, json, os, sys
out = {}
for path in sorted(glob.glob(os.path.join(sys.argv[1], "*.txt"))):
    name, client, _ = os.path.basename(path).rsplit(".", 2)
    lines = [l.rstrip("\n") for l in open(path) if l.strip()]
    out.setdefault(name, {})[client] = lines
print(json.dumps(out, indent=2, ensure_ascii=False))
PY
