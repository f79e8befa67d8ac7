# Shared shell functions: start and stop a throwaway ZooKeeper and Redis. Sourced, not run.
# Every function reports errors on stderr and returns non-zero; nothing here calls exit.

# free_port: prints a TCP port on 127.0.0.1 that nothing listens on right now.
free_port() {
  python3 - <<'PY' 2>/dev/null || echo $(( 20000 + RANDOM % 20000 ))
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()
PY
}

# port_in_use PORT: true when something accepts on 127.0.0.1:PORT.
port_in_use() { nc -z -w 1 127.0.0.1 "$1" >/dev/null 2>&1; }

# zk_classpath: the ZooKeeper server jar (its manifest pulls in the dependencies).
zk_classpath() { echo /usr/share/java/zookeeper.jar; }

# start_zookeeper DIR PORT [ADDRESS]: starts a standalone ZooKeeper with its data and log in DIR, listening
# on ADDRESS (default 127.0.0.1). Sets ZK_PID. Waits (up to 30 s) until it is serving: `srvr`, not `ruok`
# (ruok answers before it serves).
start_zookeeper() {
  local dir="$1" port="$2" address="${3:-127.0.0.1}"
  mkdir -p "$dir/data"
  # tickTime=500: sessions may be as short as 1 s, so tests see ephemeral nodes expire quickly.
  printf '%s\n' tickTime=500 "dataDir=$dir/data" "clientPort=$port" "clientPortAddress=$address" \
    admin.enableServer=false '4lw.commands.whitelist=*' maxClientCnxns=0 > "$dir/zoo.cfg"
  java -Xmx256m -XX:+UseSerialGC -cp "$(zk_classpath)" \
    org.apache.zookeeper.server.quorum.QuorumPeerMain "$dir/zoo.cfg" > "$dir/zookeeper.log" 2>&1 < /dev/null &
  ZK_PID=$!
  echo "$ZK_PID" > "$dir/zookeeper.pid"
  local i
  for i in $(seq 1 300); do
    if echo srvr | nc -w 1 "$address" "$port" 2>/dev/null | grep -q '^Zookeeper version'; then return 0; fi
    if ! kill -0 "$ZK_PID" 2>/dev/null; then
      echo "ZooKeeper exited during start-up; log: $dir/zookeeper.log" >&2; tail -5 "$dir/zookeeper.log" >&2; return 1
    fi
    sleep 0.1
  done
  echo "ZooKeeper on $address:$port not serving after 30 s; log: $dir/zookeeper.log" >&2
  return 1
}

# start_redis DIR PORT [ADDRESS]: starts redis-server without persistence, listening on ADDRESS (default
# 127.0.0.1; another address turns protected mode off: the demo's hosts mode, inside its own namespaces),
# logging to DIR. Sets REDIS_PID.
start_redis() {
  local dir="$1" port="$2" address="${3:-127.0.0.1}"
  mkdir -p "$dir"
  local protected=yes
  [[ "$address" == 127.0.0.1 ]] || protected=no
  redis-server --port "$port" --bind "$address" --protected-mode "$protected" --save '' --appendonly no \
    --daemonize no \
    --dir "$dir" --logfile "$dir/redis.log" < /dev/null > /dev/null 2>&1 &
  REDIS_PID=$!
  echo "$REDIS_PID" > "$dir/redis.pid"
  local i
  for i in $(seq 1 300); do
    if [[ "$(redis-cli -h "$address" -p "$port" ping 2>/dev/null)" == PONG ]]; then return 0; fi
    if ! kill -0 "$REDIS_PID" 2>/dev/null; then
      echo "redis-server exited during start-up; log: $dir/redis.log" >&2; tail -5 "$dir/redis.log" >&2; return 1
    fi
    sleep 0.05
  done
  echo "redis on $address:$port not answering PING after 15 s; log: $dir/redis.log" >&2
  return 1
}

# stop_pid PID [NAME]: SIGTERM, wait up to 5 s, then SIGKILL. Quiet when already gone.
stop_pid() {
  local pid="$1" name="${2:-process}" i
  [[ -n "$pid" ]] || return 0
  kill -0 "$pid" 2>/dev/null || return 0
  kill "$pid" 2>/dev/null || true
  for i in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
    sleep 0.1
  done
  echo "$name ($pid) did not stop on SIGTERM; killing" >&2
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
