/// Durable key/value state under the home (`state/…`), written atomically.
/// `FileStateStore` implements it.
public protocol StateStore: Sendable {
    /// Reads the document stored under `key`.
    /// - Parameter key: A simple name (`[a-z0-9._-]+`).
    /// - Returns: The bytes, or `nil` when absent.
    func read(_ key: String) throws -> [UInt8]?
    /// Replaces the document under `key` atomically.
    func write(_ key: String, _ bytes: [UInt8]) throws
    /// Removes the document under `key`; absent is fine.
    func remove(_ key: String) throws
}
