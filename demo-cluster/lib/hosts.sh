# Hosts mode (demo-cluster/up --hosts): the demo on separate network hosts. Sourced by cluster.sh, not run.
#
# Every host is a network namespace the demo makes itself, named "$NET_PREFIX-<host>":
#   <prefix>-net      the switch: a bridge br0 and one veth end per host (no address: it routes nothing)
#   <prefix>-infra    ZooKeeper and Redis            $SUBNET.2
#   <prefix>-n<port>  one krpc-server each           $SUBNET.11, .12, …
#   <prefix>-a, -b    the client hosts a and b        $SUBNET.101, .102
# Each host has one interface eth0 (its veth end; the peer is v-<host> in <prefix>-net). Links are created
# directly in their namespaces, so nothing of the demo ever appears in the machine's own namespace, and
# the addresses ($SUBNET.0/24, default 10.213.0.0/24) exist only inside these namespaces: no route leads
# there from the machine or out of them. Deleting the namespaces deletes every link.
# Recorded in the run directory:
#   hosts/made        every namespace the demo made, one a line (down deletes exactly these)
#   hosts/hosts       one line per host: NAME NAMESPACE ADDRESS ROLE   (ROLE: switch, infra, node:<port>, client)
#   hosts/partitions  the partitions in force: NODE_PORT CLIENT
# Settings (environment): KRPC_DEMO_NET_PREFIX (krpcd; at most 8 characters), KRPC_DEMO_SUBNET (10.213.0).

NET_PREFIX="${KRPC_DEMO_NET_PREFIX:-krpcd}"
SUBNET="${KRPC_DEMO_SUBNET:-10.213.0}"
HOSTS_DIR="$DEMO_DIR/hosts"
CLIENT_HOSTS=(a b)

# hosts_mode: true when the cluster in the run directory runs on hosts.
hosts_mode() { [[ -f "$HOSTS_DIR/hosts" ]]; }

# hosts_field NAME COLUMN: a column (2 namespace, 3 address, 4 role) of host NAME.
hosts_field() { awk -v n="$1" -v c="$2" '$1 == n { print $c; exit }' "$HOSTS_DIR/hosts" 2>/dev/null; }

# host_ns NAME, host_addr NAME: the namespace and address of host NAME (empty when unknown).
host_ns() { hosts_field "$1" 2; }
host_addr() { hosts_field "$1" 3; }

# hosts_of_role ROLE: the names of the hosts with that role (e.g. client).
hosts_of_role() { awk -v r="$1" '$4 == r { print $1 }' "$HOSTS_DIR/hosts" 2>/dev/null; }

# in_host NAME CMD…: runs CMD in host NAME's namespace.
in_host() {
  local ns; ns="$(host_ns "$1")"; shift
  [[ -n "$ns" ]] || die "no such host in this demo (see demo-cluster/status)"
  ip netns exec "$ns" "$@"
}

# hosts_require: hosts mode needs root and iproute2.
hosts_require() {
  [[ "$(id -u)" == 0 ]] || die "--hosts makes network namespaces: run as root"
  command -v ip > /dev/null || die "--hosts needs iproute2 (the ip command)"
  [[ "${#NET_PREFIX}" -le 8 && "$NET_PREFIX" =~ ^[a-z][a-z0-9]*$ ]] \
    || die "KRPC_DEMO_NET_PREFIX must be 1-8 lower-case letters and digits, not '$NET_PREFIX'"
  [[ "$SUBNET" =~ ^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$ ]] || die "KRPC_DEMO_SUBNET takes three octets, e.g. 10.213.0"
}

# hosts_add NAME ADDRESS ROLE: makes host NAME's namespace, plugs it into the switch, gives it ADDRESS/24.
hosts_add() {
  local name="$1" address="$2" role="$3" ns="$NET_PREFIX-$1" switch="$NET_PREFIX-net"
  ip netns add "$ns" 2>/dev/null || die "cannot make namespace $ns (it exists: another demo? set KRPC_DEMO_NET_PREFIX)"
  echo "$ns" >> "$HOSTS_DIR/made"
  ip -n "$ns" link set lo up
  ip link add eth0 netns "$ns" type veth peer name "v-$name" netns "$switch" || die "cannot link $ns to the switch"
  ip -n "$switch" link set "v-$name" master br0 up
  ip -n "$ns" addr add "$address/24" dev eth0
  ip -n "$ns" link set eth0 up
  echo "$name $ns $address $role" >> "$HOSTS_DIR/hosts"
}

# hosts_make PORT…: the switch, the infra host, one host per node port, the client hosts.
hosts_make() {
  hosts_require
  mkdir -p "$HOSTS_DIR"
  : > "$HOSTS_DIR/hosts.new"
  local switch="$NET_PREFIX-net" i=0 p c
  ip netns add "$switch" 2>/dev/null || die "cannot make namespace $switch (it exists: another demo? set KRPC_DEMO_NET_PREFIX)"
  echo "$switch" >> "$HOSTS_DIR/made"
  ip -n "$switch" link add br0 type bridge
  ip -n "$switch" link set br0 up
  mv "$HOSTS_DIR/hosts.new" "$HOSTS_DIR/hosts"
  echo "switch $switch - switch" >> "$HOSTS_DIR/hosts"
  hosts_add infra "$SUBNET.2" infra
  for p in "$@"; do hosts_add "n$p" "$SUBNET.$((11 + i))" "node:$p"; i=$((i + 1)); done
  i=0
  for c in "${CLIENT_HOSTS[@]}"; do hosts_add "$c" "$SUBNET.$((101 + i))" client; i=$((i + 1)); done
  : > "$HOSTS_DIR/partitions"
}

# hosts_remove: deletes every namespace the demo made (their links and the bridge go with them), and only
# those; kills what still runs in them first (a namespace with processes would linger as a mount).
hosts_remove() {
  [[ -f "$HOSTS_DIR/made" ]] || return 0
  local ns pid
  for ns in $(tac "$HOSTS_DIR/made"); do
    ip netns list 2>/dev/null | awk '{print $1}' | grep -qx "$ns" || continue
    for pid in $(ip netns pids "$ns" 2>/dev/null); do stop_pid "$pid" "process $pid in $ns"; done
    ip netns del "$ns" 2>/dev/null || echo "demo: could not delete namespace $ns" >&2
  done
  rm -f "$HOSTS_DIR/made" "$HOSTS_DIR/hosts" "$HOSTS_DIR/partitions"
}

# partition_set NODE_PORT CLIENT add|del: blackhole routes both ways between node NODE_PORT and CLIENT.
partition_set() {
  local port="$1" client="$2" op="$3" node="n$1"
  local node_addr client_addr
  node_addr="$(host_addr "$node")"; client_addr="$(host_addr "$client")"
  [[ -n "$node_addr" ]] || die "no node host for port $port (see demo-cluster/status)"
  [[ -n "$client_addr" && "$(hosts_field "$client" 4)" == client ]] || die "no client host '$client' (one of: $(hosts_of_role client | tr '\n' ' '))"
  if [[ "$op" == add ]]; then
    in_host "$client" ip route replace blackhole "$node_addr/32"
    in_host "$node" ip route replace blackhole "$client_addr/32"
    grep -qx "$port $client" "$HOSTS_DIR/partitions" || echo "$port $client" >> "$HOSTS_DIR/partitions"
  else
    in_host "$client" ip route del blackhole "$node_addr/32" 2>/dev/null || true
    in_host "$node" ip route del blackhole "$client_addr/32" 2>/dev/null || true
    grep -vx "$port $client" "$HOSTS_DIR/partitions" > "$HOSTS_DIR/partitions.new" || true
    mv "$HOSTS_DIR/partitions.new" "$HOSTS_DIR/partitions"
  fi
}

# netem_available HOST: true when the kernel offers netem (a trial qdisc on HOST's eth0, removed at once).
netem_available() {
  in_host "$1" tc qdisc add dev eth0 root netem delay 1ms 2>/dev/null || return 1
  in_host "$1" tc qdisc del dev eth0 root 2>/dev/null || true
}
