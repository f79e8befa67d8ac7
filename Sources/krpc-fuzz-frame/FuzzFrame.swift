// libFuzzer target for the krpc frame decoder (FrameParser, FrameAccumulator, FrameHeader.decode).
//
// Built only by fuzz.sh beside this file (-DKRPC_FUZZING, ASan, coverage, libFuzzer without its
// main). In a normal `swift build` it is a stub that says so.
//
// Oracles, on every input:
// 1. No crash, no memory error (ASan), whatever the bytes.
// 2. Splitting the stream into reads (sizes from the input itself) gives the same frames and the
//    same error as parsing it whole.
// 3. Every frame re-encodes and parses back to itself.
// 4. A header that FrameHeader.decode accepts, SwiftProtobuf's generated KRPCFrameHeader decodes
//    to the same values, metadata (field 8) included; and metadata never exceeds its limits.

import KRPCWire
import NIOCore
import SwiftProtobuf

#if KRPC_FUZZING
typealias FuzzCallback = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: FuzzCallback
) -> CInt

/// The executable's entry point: SwiftPM links executables with `main` = `<module>_main`.
@_cdecl("krpc_fuzz_frame_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in
        let bytes = UnsafeRawBufferPointer(start: data, count: size)
        fuzzOneInput(Array(bytes))
        return 0
    }
}
#else
@main
enum FuzzFrameStub {
    static func main() {
        print("krpc-fuzz-frame: build and run it with Sources/krpc-fuzz-frame/fuzz.sh")
    }
}
#endif

/// Parses the whole input at once.
func parseWhole(_ bytes: [UInt8], maximum: Int) -> ([Frame], FrameDecodingError?) {
    var buffer = ByteBuffer(bytes: bytes)
    var frames: [Frame] = []
    let parser = FrameParser(maximumFrameLength: maximum)
    do {
        while let frame = try parser.next(from: &buffer) { frames.append(frame) }
        return (frames, nil)
    } catch {
        return (frames, error)
    }
}

/// Parses the input in reads of `chunk` bytes through a FrameAccumulator.
func parseSplit(_ bytes: [UInt8], chunk: Int, maximum: Int) -> ([Frame], FrameDecodingError?) {
    var accumulator = FrameAccumulator(parser: FrameParser(maximumFrameLength: maximum))
    var frames: [Frame] = []
    var offset = 0
    do {
        while offset < bytes.count {
            let end = min(bytes.count, offset + chunk)
            var read = ByteBuffer(bytes: bytes[offset..<end])
            offset = end
            accumulator.append(&read)
            while let frame = try accumulator.next() { frames.append(frame) }
        }
        return (frames, nil)
    } catch {
        return (frames, error)
    }
}

func fuzzOneInput(_ bytes: [UInt8]) {
    // Small maximum so that "too large" paths are reached often, plus the default.
    let maximum = bytes.first.map { $0 & 1 == 0 ? 256 : FrameFormat.defaultMaximumFrameLength } ?? 256
    let chunk = Int(bytes.last ?? 0) % 13 + 1

    let whole = parseWhole(bytes, maximum: maximum)
    let split = parseSplit(bytes, chunk: chunk, maximum: maximum)
    // A frame that ends exactly where the input ends is complete in both; an error the whole
    // parse found must be found by the split parse too (it sees the same bytes, just later).
    guard whole.0 == split.0, whole.1 == split.1 else {
        fatalError("split parse differs: whole \(whole.0.count) frames, \(String(describing: whole.1)); split \(split.0.count), \(String(describing: split.1))")
    }

    for frame in whole.0 {
        var encoded = ByteBuffer()
        encoded.writeKRPCFrame(header: frame.header, payload: frame.payload)
        var again = encoded
        guard let decoded = try? FrameParser(maximumFrameLength: .max).next(from: &again), decoded == frame,
            again.readableBytes == 0
        else {
            fatalError("frame does not round-trip: \(frame.header)")
        }
    }

    var headerBytes = ByteBuffer(bytes: bytes)
    if let header = try? FrameHeader.decode(from: &headerBytes) {
        guard let reference = try? KRPCFrameHeader(serializedBytes: bytes) else {
            fatalError("FrameHeader.decode accepted what SwiftProtobuf rejects: \(bytes)")
        }
        guard reference.kind.rawValue == Int(header.kind.rawValue), reference.requestID == header.requestID,
            reference.service == header.service, reference.method == header.method,
            reference.deadlineMs == header.deadlineMilliseconds, reference.status == header.status,
            reference.message == header.message
        else {
            fatalError("FrameHeader.decode and SwiftProtobuf disagree on \(bytes)")
        }
        let values: [[UInt8]] = header.metadata.map { entry in
            switch entry.value {
            case .string(let string): Array(string.utf8)
            case .binary(let bytes): bytes
            }
        }
        guard reference.metadata.map(\.key) == header.metadata.map(\.key),
            reference.metadata.map({ Array($0.value) }) == values
        else {
            fatalError("FrameHeader.decode and SwiftProtobuf disagree on the metadata of \(bytes)")
        }
        guard header.metadata.wireViolation() == nil else {
            fatalError("FrameHeader.decode accepted metadata over its limits: \(header.metadata)")
        }
    }
}
