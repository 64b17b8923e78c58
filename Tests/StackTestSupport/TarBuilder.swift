import Foundation

/// Builds raw tar archives byte by byte, including entries no well-behaved tool would
/// write (`..` paths, links, devices, control characters), so tests can attack the reader.
public struct TarBuilder: Sendable {
    /// Entry content and type.
    public enum Kind: Sendable {
        case file([UInt8])
        /// A file of `count` zero bytes, generated while writing (never held in memory).
        case zeros(Int64)
        case directory
        case symlink(String)
        case hardlink(String)
        case characterDevice
        case blockDevice
        case fifo
    }

    struct Entry: Sendable {
        var path: [UInt8]
        var kind: Kind
        var mode: Int
    }

    private var entries: [Entry] = []

    public init() {}

    /// Adds an entry.
    /// - Parameters:
    ///   - path: The stored path, byte for byte.
    ///   - kind: What it is.
    ///   - mode: Permission bits.
    public mutating func add(_ path: [UInt8], _ kind: Kind, mode: Int? = nil) {
        let defaultMode: Int
        switch kind {
        case .directory: defaultMode = 0o755
        default: defaultMode = 0o644
        }
        entries.append(Entry(path: path, kind: kind, mode: mode ?? defaultMode))
    }

    /// Adds an entry with a string path.
    public mutating func add(_ path: String, _ kind: Kind, mode: Int? = nil) {
        add(Array(path.utf8), kind, mode: mode)
    }

    /// Adds a text file.
    public mutating func add(_ path: String, text: String, mode: Int? = nil) {
        add(Array(path.utf8), .file(Array(text.utf8)), mode: mode)
    }

    /// The uncompressed archive, streamed in pieces to `sink`.
    public func stream(_ sink: ([UInt8]) throws -> Void) rethrows {
        for entry in entries {
            let size: Int64
            switch entry.kind {
            case .file(let bytes): size = Int64(bytes.count)
            case .zeros(let n): size = n
            default: size = 0
            }
            var name = entry.path
            if name.count > 100 {
                let record = paxRecord("path", name)
                try sink(Self.header(name: Array("PaxHeader/long".utf8), mode: 0o644, size: Int64(record.count),
                                     type: UInt8(ascii: "x"), link: []))
                try sink(Self.padded(record))
                name = Array(name.suffix(99))
            }
            var link: [UInt8] = []
            let type: UInt8
            switch entry.kind {
            case .file, .zeros: type = UInt8(ascii: "0")
            case .directory: type = UInt8(ascii: "5")
            case .symlink(let target): type = UInt8(ascii: "2"); link = Array(target.utf8)
            case .hardlink(let target): type = UInt8(ascii: "1"); link = Array(target.utf8)
            case .characterDevice: type = UInt8(ascii: "3")
            case .blockDevice: type = UInt8(ascii: "4")
            case .fifo: type = UInt8(ascii: "6")
            }
            try sink(Self.header(name: name, mode: entry.mode, size: size, type: type, link: link))
            switch entry.kind {
            case .file(let bytes): try sink(Self.padded(bytes))
            case .zeros(let n):
                let chunk = [UInt8](repeating: 0, count: 1 << 20)
                var left = n
                while left > 0 {
                    let take = Int(min(Int64(chunk.count), left))
                    try sink(take == chunk.count ? chunk : Array(chunk[0..<take]))
                    left -= Int64(take)
                }
                let pad = Int((512 - n % 512) % 512)
                if pad > 0 { try sink([UInt8](repeating: 0, count: pad)) }
            default: break
            }
        }
        try sink([UInt8](repeating: 0, count: 1024))
    }

    /// The whole uncompressed archive in memory.
    public func tarBytes() -> [UInt8] {
        var out: [UInt8] = []
        stream { out += $0 }
        return out
    }

    /// Writes the archive to `url`, gzip-compressed (by `gzip -n`) unless `gzip` is false.
    /// - Parameters:
    ///   - url: The file to write.
    ///   - gzip: Whether to compress.
    public func write(to url: URL, gzip: Bool = true) throws {
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else { throw CocoaError(.fileWriteUnknown) }
        let out = try FileHandle(forWritingTo: url)
        defer { try? out.close() }
        guard gzip else {
            try stream { try out.write(contentsOf: $0) }
            return
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/gzip")
        process.arguments = ["-n", "-c", "-1"]
        let input = Pipe()
        process.standardInput = input
        process.standardOutput = out
        try process.run()
        try stream { try input.fileHandleForWriting.write(contentsOf: $0) }
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CocoaError(.fileWriteUnknown)
        }
    }

    private func paxRecord(_ key: String, _ value: [UInt8]) -> [UInt8] {
        let body = Array(" \(key)=".utf8) + value + [0x0A]
        var length = body.count + 1
        while String(length).count + body.count != length { length = String(length).count + body.count }
        return Array(String(length).utf8) + body
    }

    private static func padded(_ bytes: [UInt8]) -> [UInt8] {
        let pad = (512 - bytes.count % 512) % 512
        return bytes + [UInt8](repeating: 0, count: pad)
    }

    private static func octal(_ value: Int64, width: Int) -> [UInt8] {
        let digits = String(value, radix: 8)
        let text = String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits
        return Array(text.utf8) + [0]
    }

    static func header(name: [UInt8], mode: Int, size: Int64, type: UInt8, link: [UInt8]) -> [UInt8] {
        var h = [UInt8](repeating: 0, count: 512)
        func put(_ bytes: [UInt8], at offset: Int, max: Int) {
            for (i, b) in bytes.prefix(max).enumerated() { h[offset + i] = b }
        }
        put(name, at: 0, max: 100)
        put(octal(Int64(mode), width: 8), at: 100, max: 8)
        put(octal(0, width: 8), at: 108, max: 8)
        put(octal(0, width: 8), at: 116, max: 8)
        put(octal(size, width: 12), at: 124, max: 12)
        put(octal(946_684_800, width: 12), at: 136, max: 12)
        h[156] = type
        put(link, at: 157, max: 100)
        put(Array("ustar".utf8) + [0], at: 257, max: 6)
        put(Array("00".utf8), at: 263, max: 2)
        put(octal(0, width: 8), at: 329, max: 8)
        put(octal(0, width: 8), at: 337, max: 8)
        for i in 148..<156 { h[i] = 0x20 }
        let sum = h.reduce(0) { $0 + Int($1) }
        put(octal(Int64(sum), width: 7) + [0x20], at: 148, max: 8)
        return h
    }
}
