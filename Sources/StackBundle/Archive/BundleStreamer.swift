import StackCore

/// Receives the entries of one streamed pass, after each has passed the policy.
protocol EntrySink {
    /// An entry starts; nothing of it has been written yet.
    mutating func begin(_ entry: BundleEntry) throws
    /// The next block of the current file's data, already checked against the limits.
    mutating func write(_ block: UnsafeRawBufferPointer, at offset: Int64) throws
    /// The current entry is complete.
    mutating func end(_ entry: BundleEntry) throws
}

/// One streaming pass: every header goes through the ``EntryPolicy`` before the sink sees
/// it, and every data block through the size and ratio limits before it is written.
enum BundleStreamer {
    static func run(_ file: BundleFile, limits: BundleLimits, sink: inout some EntrySink) throws -> BundleListing {
        try withUTF8Locale { try pass(file, limits: limits, sink: &sink) }
    }

    private static func pass(_ file: BundleFile, limits: BundleLimits, sink: inout some EntrySink) throws -> BundleListing {
        let reader = try ArchiveReader(file: file)
        var policy = EntryPolicy(limits: limits)
        var listing = BundleListing()
        var expanded: Int64 = 0
        while let header = try reader.nextHeader() {
            guard let entry = try policy.admit(header) else {
                try drain(reader)
                continue
            }
            try sink.begin(entry)
            var written: Int64 = 0
            while let (block, offset) = try reader.nextBlock() {
                let end = offset + Int64(block.count)
                guard entry.kind == .file, offset >= 0, end <= entry.size else {
                    throw StackError(.bundleTruncated,
                                     "entry '\(entry.path)' has more data than it declares")
                }
                if block.isEmpty { continue }
                let grown = end > written ? end - written : 0
                try policy.checkStream(expanded: expanded + grown, compressed: reader.consumedBytes,
                                       path: entry.path)
                try sink.write(block, at: offset)
                expanded += grown
                written = max(written, end)
            }
            try sink.end(entry)
            listing.entries.append(entry)
        }
        try policy.finish()
        listing.expandedBytes = expanded
        listing.compressedBytes = reader.consumedBytes
        return listing
    }

    private static func drain(_ reader: ArchiveReader) throws {
        while try reader.nextBlock() != nil {}
    }
}

/// A sink that writes nothing and keeps the bytes of chosen files.
struct CapturingSink: EntrySink {
    let shouldCapture: (String, Int64) -> Bool
    var captured: [String: [UInt8]] = [:]
    private var current: [UInt8]?

    init(shouldCapture: @escaping (String, Int64) -> Bool) { self.shouldCapture = shouldCapture }

    mutating func begin(_ entry: BundleEntry) throws {
        current = entry.kind == .file && shouldCapture(entry.path, entry.size) ? [] : nil
        current?.reserveCapacity(Int(entry.size))
    }

    mutating func write(_ block: UnsafeRawBufferPointer, at offset: Int64) throws {
        guard current != nil else { return }
        let start = Int(offset)
        if current!.count < start { current!.append(contentsOf: repeatElement(0, count: start - current!.count)) }
        current!.replaceSubrange(start..<min(current!.count, start + block.count), with: block)
    }

    mutating func end(_ entry: BundleEntry) throws {
        if let bytes = current {
            var full = bytes
            if full.count < Int(entry.size) { full.append(contentsOf: repeatElement(0, count: Int(entry.size) - full.count)) }
            captured[entry.path] = full
        }
        current = nil
    }
}
