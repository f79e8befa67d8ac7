# The partition scenario (demo-cluster/scenario partition, hosts mode). Sourced by demo-cluster/scenario.
# One node cut off from client host a only: a's breaker opens and a fails over with no caller failure, b
# keeps calling the node, and the fleet views in Redis show the node broken for 1 of 2 clients; then heal,
# and both see it healthy. Prints each step with its time and one verdict line; exit 0 PASS, 1 FAIL.

# view_state CLIENT_NAME NODE: the state client CLIENT_NAME publishes for NODE (empty when none).
view_state() {
  local key
  key="$(redis_cli --scan --pattern "krpc:view:*:$1" 2>/dev/null | head -1)"
  [[ -n "$key" ]] || return 0
  redis_cli --raw get "$key" 2>/dev/null | python3 -c '
import json, sys
try:
    view = json.load(sys.stdin)
    print(next((n["state"] for n in view.get("nodes", []) if n.get("node") == sys.argv[1]), ""))
except Exception:
    pass
' "$2"
}

# status_field HOST EXPR: a value from the scenario client's status file (python expression over `s`).
status_field() {
  python3 -c '
import json, sys
try:
    s = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))
except Exception:
    print(0)
' "$SCENARIO_DIR/$1.status" "$2"
}

run_partition_scenario() {
  hosts_mode || { echo "scenario partition needs the hosts mode (demo-cluster/up --hosts)" >&2; exit 2; }
  local port node start t_open t_heal a_fail b_before b_after ok=1 clients=() c reasons=()
  port="$(node_ports | awk '{print $1}')"; node="$(node_addr "$port"):$port"
  SCENARIO_DIR="$DEMO_DIR/scenario-partition"; rm -rf "$SCENARIO_DIR"; mkdir -p "$SCENARIO_DIR"
  stop_clients() { for c in "${clients[@]}"; do stop_pid "$c" "scenario client"; done; clients=(); }
  heal_on_exit() { "$DEMO_HERE/fault" "$port" heal > /dev/null 2>&1 || true; stop_clients; }
  trap heal_on_exit EXIT
  echo "scenario partition: $node cut off from client host a only, then healed"
  for c in a b; do
    ip netns exec "$(host_ns "$c")" "$BIN/krpc-scenario" load --zk "$(infra_addr):$ZK_PORT" \
      --redis "$(infra_addr):$REDIS_PORT" --service "$SERVICE" --method "$METHOD" --duration 120 --rate 20 \
      --client-name "scenario-$c" --client-host "$c" --status-file "$SCENARIO_DIR/$c.status" \
      --log-file "$SCENARIO_DIR/$c.log" > /dev/null 2>&1 < /dev/null &
    clients+=($!)
  done
  local deadline=$((SECONDS + 30))
  until [[ "$(view_state scenario-a "$node")" == closed && "$(view_state scenario-b "$node")" == closed ]] \
        && [[ "$(status_field a 's["nodes"]["'"$node"'"]["successes"]')" -gt 0 ]]; do
    [[ $SECONDS -lt $deadline ]] || { echo "verdict: FAIL — the clients did not reach $node within 30 s" ; exit 1; }
    sleep 0.2
  done
  start=$(date +%s.%N)
  elapsed() { python3 -c "import sys; print('%.2fs' % (float(sys.argv[1]) - float(sys.argv[2])))" "$(date +%s.%N)" "$start"; }
  "$DEMO_HERE/fault" "$port" partition --from a > /dev/null
  echo "  +0.00s  partition: $node ⇹ client host a"
  deadline=$((SECONDS + 30))
  until [[ "$(view_state scenario-a "$node")" =~ ^(open|half-open)$ ]]; do
    [[ $SECONDS -lt $deadline ]] || { ok=0; reasons+=("a's breaker for $node did not open within 30 s"); break; }
    sleep 0.1
  done
  t_open="$(elapsed)"
  local state_b; state_b="$(view_state scenario-b "$node")"
  local broken=0; [[ "$(view_state scenario-a "$node")" != closed ]] && broken=$((broken + 1))
  [[ "$state_b" != closed ]] && broken=$((broken + 1))
  echo "  +$t_open  fleet view of $node: a $(view_state scenario-a "$node"), b $state_b — broken for $broken of 2 clients"
  [[ $broken == 1 && "$state_b" == closed ]] || { ok=0; reasons+=("the fleet view shows $node broken for $broken of 2 clients"); }
  b_before="$(status_field b 's["nodes"]["'"$node"'"]["successes"]')"
  sleep 3  # calls go on: a around the node, b to it
  b_after="$(status_field b 's["nodes"]["'"$node"'"]["successes"]')"
  a_fail="$(status_field a 's["caller_failures"]')"
  echo "  +$(elapsed)  a: $a_fail caller failures; b: $((b_after - b_before)) more calls answered by $node"
  [[ "$a_fail" == 0 ]] || { ok=0; reasons+=("a's callers saw $a_fail failures"); }
  [[ $((b_after - b_before)) -gt 0 ]] || { ok=0; reasons+=("b stopped reaching $node"); }
  "$DEMO_HERE/fault" "$port" heal > /dev/null
  local heal_at; heal_at=$(date +%s.%N)
  echo "  +$(elapsed)  heal"
  deadline=$((SECONDS + 60))
  until [[ "$(view_state scenario-a "$node")" == closed && "$(view_state scenario-b "$node")" == closed ]]; do
    [[ $SECONDS -lt $deadline ]] || { ok=0; reasons+=("$node not healthy for both clients 60 s after heal"); break; }
    sleep 0.1
  done
  t_heal="$(python3 -c "import sys; print('%.2fs' % (float(sys.argv[1]) - float(sys.argv[2])))" "$(date +%s.%N)" "$heal_at")"
  echo "  +$(elapsed)  fleet view of $node: a $(view_state scenario-a "$node"), b $(view_state scenario-b "$node")"
  stop_clients
  trap - EXIT
  if [[ $ok == 1 ]]; then
    echo "verdict: PASS — $node broken for 1 of 2 clients (a only) $t_open after the partition; a failed over with 0 caller failures; b kept calling it (+$((b_after - b_before))); healthy for both $t_heal after heal"
    exit 0
  fi
  echo "verdict: FAIL — $(IFS=';'; echo "${reasons[*]}")"
  exit 1
}
