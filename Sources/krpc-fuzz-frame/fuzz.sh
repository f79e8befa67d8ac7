#!/usr/bin/env bash
# Fuzzes the krpc frame decoder with libFuzzer for N seconds (default 60).
#
#   Sources/krpc-fuzz-frame/fuzz.sh [SECONDS] [extra libFuzzer flags...]
#
# Builds krpc-fuzz-frame in its own scratch folder (.build-fuzz, release, ASan + coverage,
# libFuzzer without its main: SwiftPM links executables with main = krpc_fuzz_frame_main, which
# FuzzFrame.swift defines and which calls LLVMFuzzerRunDriver). Starts from the committed seed
# corpus (corpus/, read-only here); new inputs go to .build-fuzz/corpus, crashes to fuzz-artifacts/.
# Exits non-zero when the fuzzer finds a crash.
set -euo pipefail

SECONDS_TO_RUN="${1:-60}"
shift || true
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
SCRATCH="$ROOT/.build-fuzz"
CLANG_LIB="$(dirname "$(dirname "$(command -v swiftc)")")/lib/clang"
FUZZER_LIB="$(find "$CLANG_LIB" -name 'libclang_rt.fuzzer_no_main-x86_64.a' | head -1)"
if [[ -z "$FUZZER_LIB" ]]; then
  echo "libclang_rt.fuzzer_no_main-x86_64.a not found under $CLANG_LIB" >&2
  exit 1
fi

cd "$ROOT"
swift build -c release --product krpc-fuzz-frame --scratch-path "$SCRATCH" \
  -Xswiftc -DKRPC_FUZZING \
  -Xswiftc -sanitize=address \
  -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp \
  -Xlinker "$FUZZER_LIB" -Xlinker -lstdc++ 2>&1 | grep -v "Cannot export local symbol" >&2

mkdir -p "$SCRATCH/corpus" "$ROOT/fuzz-artifacts"
"$SCRATCH/release/krpc-fuzz-frame" \
  -max_total_time="$SECONDS_TO_RUN" \
  -max_len=4096 \
  -artifact_prefix="$ROOT/fuzz-artifacts/" \
  "$@" \
  "$SCRATCH/corpus" "$HERE/corpus"
