// libFuzzer harness: the archive reader and the entry policy.
// Built by Fuzz/run.sh together with the StackCore and StackBundle sources as one module,
// so it can reach internal types. Every input is streamed through the policy (list mode,
// capturing documents) and, when it passes, extracted into a scratch directory.
import Foundation
import StackCore
#if canImport(Glibc)
import Glibc
#endif

private let scratch: String = {
    let dir = NSTemporaryDirectory() + "stack-fuzz-archive-\(getpid())"
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzArchive(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let input = scratch + "/input.stack"
    let bytes = Data(bytes: data, count: size)
    guard FileManager.default.createFile(atPath: input, contents: bytes),
          let file = try? BundleFile(path: input) else { return 0 }
    let limits = BundleLimits(maxEntries: 2_000, maxExpandedBytes: 32 << 20,
                              ratioThresholdBytes: 1 << 20)
    let format = LibArchiveFormat()
    do {
        _ = try format.list(file, limits: limits) { _, size in size < 65_536 }
        let destination = URL(fileURLWithPath: scratch + "/out")
        try? FileManager.default.removeItem(at: destination)
        try FileManager.default.createDirectory(at: destination, withIntermediateDirectories: false)
        _ = try format.extract(file, into: destination, limits: limits)
        try? FileManager.default.removeItem(at: destination)
    } catch is StackError {
        // Rejections are the expected outcome for most inputs.
    } catch {
        // Non-StackError failures are bugs: every rejection must carry a stable code.
        FileHandle.standardError.write(Data("unexpected error type: \(error)\n".utf8))
            abort()
    }
    return 0
}
