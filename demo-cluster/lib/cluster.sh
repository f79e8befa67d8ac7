# Shared state and functions of the demo cluster commands (up, down, status, fault, logs, run, scenario).
# Sourced, not run. All state lives under one run directory:
#   $KRPC_DEMO_DIR (default /tmp/krpc-demo-$UID)/
#     zookeeper/{zoo.cfg,data/,zookeeper.log,zookeeper.pid}   redis/{redis.log,redis.pid}
#     nodes/<port>.{pid,log}                                  ports   (the node ports of this cluster)
#     hosts/{made,hosts,partitions}   (hosts mode only: lib/hosts.sh)     clients/<host>.{pid,log,status}
# Settings (environment): KRPC_DEMO_ZK_PORT (2181), KRPC_DEMO_REDIS_PORT (6379), KRPC_DEMO_HOST (127.0.0.1),
#   KRPC_BIN (folder with krpc-server and krpc-top; default .build/release of the repo).

DEMO_HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEMO_ROOT="$(cd "$DEMO_HERE/.." && pwd)"
# shellcheck source=servers.sh
source "$DEMO_HERE/lib/servers.sh"

DEMO_DIR="${KRPC_DEMO_DIR:-/tmp/krpc-demo-$(id -u)}"
ZK_PORT="${KRPC_DEMO_ZK_PORT:-2181}"
REDIS_PORT="${KRPC_DEMO_REDIS_PORT:-6379}"
HOST="${KRPC_DEMO_HOST:-127.0.0.1}"
BIN="${KRPC_BIN:-$DEMO_ROOT/.build/release}"
SERVICE=UserServiceRpc
METHOD=Login

say() { echo "demo: $*" >&2; }
die() { echo "demo: $*" >&2; exit 1; }

# shellcheck source=hosts.sh
source "$DEMO_HERE/lib/hosts.sh"

# infra_addr: where ZooKeeper and Redis listen: 127.0.0.1, or the infra host's address in hosts mode.
infra_addr() { if hosts_mode; then host_addr infra; else echo 127.0.0.1; fi; }

# in_infra CMD…: runs CMD where ZooKeeper and Redis are reachable (the infra host in hosts mode).
in_infra() { if hosts_mode; then in_host infra "$@"; else "$@"; fi; }

# node_addr PORT: the address of the node on PORT: $HOST, or its own host's address in hosts mode.
node_addr() { if hosts_mode; then host_addr "n$1"; else echo "$HOST"; fi; }

# build_with_progress LOG COMMAND…: runs a `swift build`, its whole output in LOG, showing its progress on
# stderr: on a terminal one line that follows SwiftPM's `[n/m] Compiling …` lines, elsewhere a line every 10 %;
# errors and warnings in our sources as they come. Returns the build's exit status.
build_with_progress() {
  local log="$1"; shift
  local tty=0; [[ -t 2 ]] && tty=1
  local width=$(( $(tput cols 2>/dev/null || echo 80) - 4 ))
  "$@" > "$log" 2>&1 &
  local pid=$!
  local decile=-1 line n m
  # Follow the log until the build ends (tail exits with it).
  while IFS= read -r line; do
    if [[ "$line" =~ ^\[([0-9]+)/([0-9]+)\] ]]; then
      n=${BASH_REMATCH[1]}; m=${BASH_REMATCH[2]}
      if [[ $tty == 1 ]]; then
        printf '\r\033[K  %s' "${line:0:$width}" >&2
      elif (( m > 0 && n * 10 / m > decile )); then
        decile=$(( n * 10 / m )); echo "  $line" >&2
      fi
    elif [[ "$line" == *error:* || "$line" == *"warning: "*Sources* ]]; then
      [[ $tty == 1 ]] && printf '\r\033[K' >&2
      echo "$line" >&2
    fi
  done < <(tail -n +1 -F --pid="$pid" "$log" 2>/dev/null)
  local rc=0
  wait "$pid" || rc=$?
  [[ $tty == 1 ]] && printf '\r\033[K' >&2
  return $rc
}

# default_ports N: the seed's 8000 9000 10000, then 11000, 12000, …
default_ports() {
  local n="$1" i out=()
  for ((i = 0; i < n; i++)); do out+=($((8000 + 1000 * i))); done
  echo "${out[*]}"
}

# node_ports: the ports of the cluster that is up (from the run directory), else the defaults.
node_ports() {
  if [[ -f "$DEMO_DIR/ports" ]]; then cat "$DEMO_DIR/ports"; else default_ports 3; fi
}

# alive PIDFILE: true when the file names a running process.
alive() {
  local f="$1" pid
  [[ -f "$f" ]] || return 1
  pid="$(cat "$f")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null
}

# normalize_node ARG: 8000 or 127.0.0.1:8000 → host:port
normalize_node() {
  case "$1" in
    *:*) echo "$1" ;;
    ''|*[!0-9]*) die "not a port or host:port: '$1'" ;;
    *) echo "$(node_addr "$1"):$1" ;;
  esac
}

# registered_nodes: host:port of every Login leaf ZooKeeper holds now (via the `dump` four-letter word).
# ZooKeeper sometimes closes a four-letter-word connection before answering: ask up to three times.
registered_nodes() {
  local out="" i
  for i in 1 2 3; do
    out="$(echo dump | in_infra nc -w 1 "$(infra_addr)" "$ZK_PORT" 2>/dev/null)"
    [[ "$out" == *"ephemeral nodes dump"* ]] && break
    sleep 0.1
  done
  sed -n "s#^[[:space:]]*/$SERVICE/$METHOD/##p" <<< "$out" | sort -u
}

redis_cli() { in_infra redis-cli -h "$(infra_addr)" -p "$REDIS_PORT" "$@"; }
