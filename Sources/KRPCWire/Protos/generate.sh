#!/usr/bin/env bash
# Regenerates every committed generated Swift file: Sources/KRPCWire/Generated/*.pb.swift from the
# .proto files beside this script, the messages of the example and test .proto files
# (krpc-example-greeter, KRPCCodegenTests), then every service stub (*.krpc.swift) through
# Sources/protoc-gen-krpc/generate.sh (which builds protoc-gen-krpc).
#
# Needs protoc (Debian: protobuf-compiler) and protoc-gen-swift 1.39.0, the version of the
# SwiftProtobuf runtime in Package.swift. The plugin is built once, outside this repository:
#
#   git clone -q --branch 1.39.0 https://github.com/apple/swift-protobuf.git /work/cache/swift-protobuf
#   (cd /work/cache/swift-protobuf && swift build -c release --product protoc-gen-swift)
#
# (or, from this package: swift build --product protoc-gen-swift; PROTOC_GEN_SWIFT=.build/debug/protoc-gen-swift)
# Then: Sources/KRPCWire/Protos/generate.sh   (PROTOC_GEN_SWIFT=/path/to/protoc-gen-swift overrides)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="$HERE/../Generated"
PLUGIN="${PROTOC_GEN_SWIFT:-/work/cache/swift-protobuf/.build/release/protoc-gen-swift}"

if [[ ! -x "$PLUGIN" ]]; then
  echo "protoc-gen-swift not found at $PLUGIN (see the comment at the top of $0)" >&2
  exit 1
fi
version="$("$PLUGIN" --version)"
if [[ "$version" != *"1.39.0"* ]]; then
  echo "expected protoc-gen-swift 1.39.0, got: $version" >&2
  exit 1
fi

mkdir -p "$OUT"
rm -f "$OUT"/*.pb.swift
cd "$HERE"
protoc --plugin=protoc-gen-swift="$PLUGIN" \
  --swift_out="$OUT" --swift_opt=Visibility=Public --swift_opt=UseAccessLevelOnImports=true \
  -I . krpc.proto user.proto echo.proto health.proto stats.proto
ls "$OUT"

# messages PROTO_DIR OUT_DIR OPTIONS FILE...: protoc-gen-swift over .proto files outside KRPCWire.
ROOT="$(cd "$HERE/../../.." && pwd)"
messages() {
  local protos="$ROOT/$1" out="$ROOT/$2" options="$3"
  shift 3
  mkdir -p "$out"
  (cd "$protos" && protoc --plugin=protoc-gen-swift="$PLUGIN" --swift_out="$out" --swift_opt="$options" -I . "$@")
}
messages Sources/krpc-example-greeter/Protos Sources/krpc-example-greeter/Generated Visibility=Internal greeter.proto
messages Tests/KRPCCodegenTests/Protos Tests/KRPCCodegenTests/Generated \
  Visibility=Public,UseAccessLevelOnImports=true calculator.proto

"$ROOT/Sources/protoc-gen-krpc/generate.sh"
