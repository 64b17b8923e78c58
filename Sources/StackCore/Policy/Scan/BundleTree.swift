

/// The bundle's paths, for deciding lexically whether a relative path from the compose file
/// stays inside the bundle and names something in it. Nothing here touches a file system:
/// the scan runs on the archive listing, before (or instead of) extraction.
struct BundleTree {
    /// Where a path from the compose file points.
    enum Resolution: Equatable {
        /// Inside the bundle, at this normalised path (`""` is the bundle root).
        case inside(String)
        /// A relative path whose `..` climbs above the bundle root.
        case escapes
        /// An absolute path, a `~` home path, a drive letter or a backslash path: on the host.
        case host
    }

    /// File entry paths.
    private let files: Set<String>
    /// Directory entry paths and every parent directory of an entry (implicit directories).
    private let directories: Set<String>
    /// The directory of the compose file, against which compose resolves relative paths.
    let base: [String]

    /// - Parameters:
    ///   - entries: The archive's entries.
    ///   - composePath: The compose file's path in the bundle.
    init(entries: [BundleEntry], composePath: String) {
        var files: Set<String> = []
        var directories: Set<String> = [""]
        for entry in entries {
            let parts = entry.path.split(separator: "/").map(String.init)
            for length in 0..<parts.count {
                directories.insert(parts[0..<length].joined(separator: "/"))
            }
            if entry.kind == .directory {
                directories.insert(parts.joined(separator: "/"))
            } else {
                files.insert(parts.joined(separator: "/"))
            }
        }
        self.files = files
        self.directories = directories
        var base = composePath.split(separator: "/").map(String.init)
        if !base.isEmpty { base.removeLast() }
        self.base = base.filter { $0 != "." }
    }

    /// Resolves a path as compose would, relative to the compose file's directory, without
    /// following anything (the bundle has no symlinks: the entry policy rejects them).
    /// - Parameter path: The path as written in the compose file.
    /// - Returns: Where it points.
    func resolve(_ path: String) -> Resolution {
        if path.hasPrefix("/") || path.hasPrefix("~") || path.contains("\\") { return .host }
        let bytes = Array(path.utf8)
        if bytes.count >= 2, bytes[1] == UInt8(ascii: ":"),
           (bytes[0] | 0x20) >= UInt8(ascii: "a"), (bytes[0] | 0x20) <= UInt8(ascii: "z") {
            return .host  // a Windows drive letter (`C:`)
        }
        var stack = base
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..":
                guard !stack.isEmpty else { return .escapes }
                stack.removeLast()
            default: stack.append(String(part))
            }
        }
        return .inside(stack.joined(separator: "/"))
    }

    /// Whether `path` (normalised) is a file in the bundle.
    func isFile(_ path: String) -> Bool { files.contains(path) }

    /// Whether `path` (normalised) is a file or a directory in the bundle.
    func exists(_ path: String) -> Bool { files.contains(path) || directories.contains(path) }
}
