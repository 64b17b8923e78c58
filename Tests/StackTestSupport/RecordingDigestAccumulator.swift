import StackCore

/// A ``DigestAccumulator`` that keeps every byte it is fed and reports them as hex in
/// `sha256`, so a test can see exactly which bytes went through the streaming pass.
public final class RecordingDigestAccumulator: DigestAccumulator {
    private var received: [UInt8] = []

    /// Creates an empty accumulator.
    public init() {}

    /// Lower-case hex of `bytes`: what this accumulator reports as `sha256` for them.
    /// - Parameter bytes: The bytes fed in.
    /// - Returns: Two lower-case hex digits per byte.
    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        var text = ""
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return text
    }

    /// Keeps `bytes`.
    public func update(_ bytes: UnsafeRawBufferPointer) throws {
        received.append(contentsOf: bytes)
    }

    /// Reports the kept bytes as ``hex(_:)`` in `sha256`, a fixed BLAKE2b-512 and their count.
    public func finish() throws -> FileDigests {
        FileDigests(sha256: Self.hex(received), blake2b512: [UInt8](repeating: 0xcd, count: 64),
                    size: Int64(received.count))
    }
}
