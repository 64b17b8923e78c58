// libFuzzer harness: the libyaml tree builder and the stack.yaml / compose decoders.
// Built by Fuzz/run.sh together with the StackCore and StackBundle sources as one module.
import Foundation
import StackCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzManifest(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let decoder = LibYAMLManifestDecoder()
    for decode in [{ _ = try decoder.decodeManifest(bytes, path: "stack.yaml") },
                   { _ = try decoder.decodeCompose(bytes, path: "compose.yaml") }] {
        do {
            try decode()
        } catch is StackError {
            // Rejections are expected.
        } catch {
            // Non-StackError failures are bugs: every rejection must carry a stable code.
            FileHandle.standardError.write(Data("unexpected error type: \(error)\n".utf8))
            abort()
        }
    }
    return 0
}
