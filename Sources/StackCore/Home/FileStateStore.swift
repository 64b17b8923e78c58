import Foundation

/// A ``StateStore`` of JSON documents in `state/`, one file per key, written atomically.
public struct FileStateStore: StateStore {
    /// The directory holding the documents.
    public let directory: URL

    /// Creates a store over `home.stateDirectory`.
    /// - Parameter home: The home.
    public init(home: StackHome) { self.directory = home.stateDirectory }

    /// Creates a store over any directory.
    /// - Parameter directory: Where documents live.
    public init(directory: URL) { self.directory = directory }

    public func read(_ key: String) throws -> [UInt8]? {
        let url = try fileURL(key)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        do {
            return [UInt8](try Data(contentsOf: url))
        } catch {
            throw StackError(.ioFailed, "cannot read \(url.path)", cause: error)
        }
    }

    public func write(_ key: String, _ bytes: [UInt8]) throws {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw StackError(.ioFailed, "cannot create \(directory.path)", cause: error)
        }
        try AtomicFile.write(bytes, to: try fileURL(key), mode: 0o600)
    }

    public func remove(_ key: String) throws {
        let url = try fileURL(key)
        if FileManager.default.fileExists(atPath: url.path) {
            do { try FileManager.default.removeItem(at: url) } catch {
                throw StackError(.ioFailed, "cannot remove \(url.path)", cause: error)
            }
        }
    }

    private func fileURL(_ key: String) throws -> URL {
        let allowed = key.utf8.allSatisfy {
            ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E || $0 == 0x5F || $0 == 0x2D
        }
        guard allowed, !key.isEmpty, !key.hasPrefix("."), key.utf8.count <= 128 else {
            throw StackError(.internalError, "invalid state key '\(key)'")
        }
        return directory.appendingPathComponent(key + ".json")
    }
}

/// A ``StateStore`` in memory, for tests and embedders.
public final class InMemoryStateStore: StateStore {
    private let documents = LockedBox([String: [UInt8]]())
    public init() {}
    public func read(_ key: String) throws -> [UInt8]? { documents.withLock { $0[key] } }
    public func write(_ key: String, _ bytes: [UInt8]) throws { documents.withLock { $0[key] = bytes } }
    public func remove(_ key: String) throws { _ = documents.withLock { $0.removeValue(forKey: key) } }
}
