import Dispatch
import Foundation
import StackCore

/// Computes a file's SHA-256 and BLAKE2b-512 in one streaming pass with OpenSSL.
///
/// The file is read once from offset 0 with positional reads of 1 MiB, so it never moves
/// the descriptor's shared position and a verified file is hashed exactly as it is read
/// later.
public struct OpenSSLDigester: Digester {
    /// The size of each positional read.
    public static let readSize = 1 << 20
    /// Chunks at least this large are hashed by both digests in parallel.
    static let parallelThreshold = 256 << 10

    /// Creates the digester.
    public init() {}

    /// Reads `bundle` from its start to end of file once and returns its digests.
    /// - Parameter bundle: The open file.
    /// - Returns: SHA-256 (hex) and BLAKE2b-512 (raw) of the whole file, and its size.
    /// - Throws: `io.failed` on read errors, `crypto.failed` when OpenSSL fails.
    public func digests(of bundle: BundleFile) throws -> FileDigests {
        let sha256 = try StreamingDigest(.sha256)
        let blake2b = try StreamingDigest(.blake2b512)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.readSize, alignment: 16)
        defer { buffer.deallocate() }
        let lanes = DigestLanes(blake2b, sha256)
        defer { lanes.close() }
        var offset: Int64 = 0
        while true {
            let count = try bundle.read(into: buffer, at: offset)
            if count == 0 { break }
            let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
            if count < Self.parallelThreshold {
                try lanes.updateSerially(chunk)
            } else {
                // The two digests are independent: hash each chunk on two cores at once.
                try lanes.update(chunk)
            }
            offset += Int64(count)
        }
        return FileDigests(sha256: try sha256.finish().lowercaseHex,
                           blake2b512: try blake2b.finish(), size: offset)
    }

    /// SHA-256 of some bytes.
    /// - Parameter bytes: The message.
    /// - Returns: The digest as lower-case hex (64 characters).
    /// - Throws: `crypto.failed` when OpenSSL fails.
    /// A fresh accumulator computing both digests of bytes fed in pieces.
    /// - Returns: The accumulator.
    /// - Throws: `crypto.failed`.
    public func accumulator() throws -> any DigestAccumulator {
        try OpenSSLDigestAccumulator()
    }

    public static func sha256Hex(_ bytes: some Collection<UInt8>) throws -> String {
        let digest = try StreamingDigest(.sha256)
        try digest.update(bytes)
        return try digest.finish().lowercaseHex
    }

    /// BLAKE2b-512 of some bytes.
    /// - Parameter bytes: The message.
    /// - Returns: The 64-byte digest.
    /// - Throws: `crypto.failed` when OpenSSL fails.
    public static func blake2b512(_ bytes: some Collection<UInt8>) throws -> [UInt8] {
        let digest = try StreamingDigest(.blake2b512)
        try digest.update(bytes)
        return try digest.finish()
    }
}

/// Runs the second digest of each chunk on a helper thread while the caller hashes the
/// first, so the two digests of one pass take the time of the slower one.
/// @unchecked Sendable: the helper thread touches `second`, `chunk` and `secondError` only
/// between `start.signal()` and `done.signal()`; the caller touches them only outside that
/// window (it waits on `done` before returning or reusing the chunk). The semaphores order
/// every access.
final class DigestLanes: @unchecked Sendable {
    private let first: StreamingDigest
    private let second: StreamingDigest
    private var chunk = UnsafeRawBufferPointer(start: nil, count: 0)
    private var secondError: (any Error)?
    private var finished = false
    private let start = DispatchSemaphore(value: 0)
    private let done = DispatchSemaphore(value: 0)
    private var worker: Thread?

    init(_ first: StreamingDigest, _ second: StreamingDigest) {
        self.first = first
        self.second = second
    }

    /// Hashes `chunk` with both digests, in parallel.
    func update(_ chunk: UnsafeRawBufferPointer) throws {
        if worker == nil {
            let thread = Thread { [self] in
                while true {
                    start.wait()
                    if finished { done.signal(); return }
                    do { try second.update(self.chunk) } catch { secondError = error }
                    done.signal()
                }
            }
            thread.start()
            worker = thread
        }
        self.chunk = chunk
        start.signal()
        var firstError: (any Error)?
        do { try first.update(chunk) } catch { firstError = error }
        done.wait()
        if let error = firstError ?? secondError { throw error }
    }

    /// Hashes `chunk` with both digests on the calling thread.
    func updateSerially(_ chunk: UnsafeRawBufferPointer) throws {
        try first.update(chunk)
        try second.update(chunk)
    }

    /// Ends the helper thread; idempotent.
    func close() {
        guard worker != nil, !finished else { return }
        finished = true
        start.signal()
        done.wait()
    }

    deinit { close() }
}

/// SHA-256 and BLAKE2b-512 of bytes fed in pieces.
final class OpenSSLDigestAccumulator: DigestAccumulator {
    private let sha256: StreamingDigest
    private let blake2b: StreamingDigest
    private var size: Int64 = 0

    init() throws {
        sha256 = try StreamingDigest(.sha256)
        blake2b = try StreamingDigest(.blake2b512)
    }

    func update(_ bytes: UnsafeRawBufferPointer) throws {
        try sha256.update(bytes)
        try blake2b.update(bytes)
        size += Int64(bytes.count)
    }

    func finish() throws -> FileDigests {
        FileDigests(sha256: try sha256.finish().lowercaseHex, blake2b512: try blake2b.finish(), size: size)
    }
}
