import Foundation
import StackCore

/// The permission bits (including setuid/setgid/sticky) of the item at `url`, links not
/// followed.
/// - Parameter url: The file or directory.
/// - Returns: `st_mode & 0o7777`.
/// - Throws: When the item cannot be examined.
func permissions(of url: URL) throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: url.path)
    guard let mode = attributes[.posixPermissions] as? Int else {
        throw StackError(.internalError, "no permissions for \(url.path)")
    }
    return mode & 0o7777
}

/// The names directly inside `url`, sorted, hidden ones included.
/// - Parameter url: A directory.
/// - Returns: Its entries, sorted.
/// - Throws: When the directory cannot be read.
func contents(of url: URL) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: url.path).sorted()
}
