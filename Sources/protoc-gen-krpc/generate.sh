#!/usr/bin/env bash
# Regenerates every committed krpc service stub (*.krpc.swift) with protoc-gen-krpc.
#
#   Sources/protoc-gen-krpc/generate.sh [OUT_ROOT]
#
# Writes next to the *.pb.swift of each .proto below; with OUT_ROOT, writes the same relative paths
# under OUT_ROOT instead (check-generated.sh compares those with the committed files).
# Needs protoc (Debian: protobuf-compiler). The plugin is built here (`swift build --product
# protoc-gen-krpc`, debug) unless PROTOC_GEN_KRPC names one. Messages (*.pb.swift) come from
# protoc-gen-swift: Sources/KRPCWire/Protos/generate.sh regenerates them, then runs this script.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT_ROOT="${1:-$ROOT}"
PLUGIN="${PROTOC_GEN_KRPC:-}"
if [[ -z "$PLUGIN" ]]; then
  swift build --package-path "$ROOT" --product protoc-gen-krpc >&2
  PLUGIN="$(swift build --package-path "$ROOT" --show-bin-path)/protoc-gen-krpc"
fi
command -v protoc >/dev/null || { echo "protoc not found (Debian: apt-get install protobuf-compiler)" >&2; exit 1; }

# stubs PROTO_DIR OUT_DIR OPTIONS FILE...: the .proto files in PROTO_DIR → OUT_DIR (both relative to the root).
stubs() {
  local protos="$1" out="$OUT_ROOT/$2" options="$3"
  shift 3
  mkdir -p "$out"
  (cd "$ROOT/$protos" && protoc --plugin=protoc-gen-krpc="$PLUGIN" \
    --krpc_out="$out" --krpc_opt="$options" -I . "$@")
}

# The project's own services, compiled into KRPC itself (KRPCServer serves Health and Stats, KRPCChannel
# probes with Health): no `import KRPC`; the messages are KRPCWire's.
stubs Sources/KRPCWire/Protos Sources/KRPC/Generated \
  "Visibility=Public,UseAccessLevelOnImports=true,KRPCModuleName=,ProtoPathModuleMappings=$ROOT/Sources/KRPCWire/Protos/module-mappings.asciipb" \
  user.proto echo.proto health.proto stats.proto
# The worked example (README "Your own service"): internal, in the executable's module.
stubs Sources/krpc-example-greeter/Protos Sources/krpc-example-greeter/Generated \
  Visibility=Internal greeter.proto
# protoc-gen-krpc's test service: public, with access-level imports (InternalImportsByDefault).
stubs Tests/KRPCCodegenTests/Protos Tests/KRPCCodegenTests/Generated \
  Visibility=Public,UseAccessLevelOnImports=true calculator.proto
