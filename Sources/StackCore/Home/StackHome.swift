import Foundation

/// The home directory layout of DESIGN §2 (`STACK_HOME`, `--home`, default `~/.stack`).
public struct StackHome: Sendable, Hashable {
    /// The home's root.
    public let root: URL

    /// Creates a layout rooted at `root` (nothing is touched on disk).
    /// - Parameter root: The home directory.
    public init(root: URL) { self.root = root.standardizedFileURL }

    /// The home chosen by `--home`, else `STACK_HOME`, else `~/.stack`.
    /// - Parameters:
    ///   - override: The `--home` value, if given.
    ///   - environment: The process environment.
    /// - Returns: The layout.
    public static func resolve(override: String?, environment: [String: String]) -> StackHome {
        if let override, !override.isEmpty { return StackHome(root: URL(fileURLWithPath: override)) }
        if let env = environment["STACK_HOME"], !env.isEmpty { return StackHome(root: URL(fileURLWithPath: env)) }
        let base = environment["HOME"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser
        return StackHome(root: base.appendingPathComponent(".stack"))
    }

    public var configFile: URL { root.appendingPathComponent("config.json") }
    public var secretsDirectory: URL { root.appendingPathComponent("secrets") }
    public var apiSecretFile: URL { secretsDirectory.appendingPathComponent("api.secret") }
    public var tlsDirectory: URL { root.appendingPathComponent("tls") }
    public var trustedKeysDirectory: URL { root.appendingPathComponent("keys/trusted") }
    public var trustFile: URL { root.appendingPathComponent("trust.json") }
    public var stateDirectory: URL { root.appendingPathComponent("state") }
    public var bundlesDirectory: URL { root.appendingPathComponent("bundles") }
    public var stacksDirectory: URL { root.appendingPathComponent("stacks") }
    public var volumesDirectory: URL { root.appendingPathComponent("volumes") }
    public var logsDirectory: URL { root.appendingPathComponent("logs") }
    public var tmpDirectory: URL { root.appendingPathComponent("tmp") }
    public var lockFile: URL { root.appendingPathComponent(".lock") }

    /// Where a stack version is unpacked.
    public func stackDirectory(name: String, version: SemanticVersion) -> URL {
        stacksDirectory.appendingPathComponent(name).appendingPathComponent(version.description)
    }

    /// A stack's writable run directory (the rendered compose file), beside its versions.
    public func runDirectory(name: String) -> URL {
        stacksDirectory.appendingPathComponent(name).appendingPathComponent("run")
    }

    /// A stack's data directory: the only place its mounts may write to.
    public func volumesDirectory(name: String) -> URL {
        volumesDirectory.appendingPathComponent(name)
    }

    /// Every directory of the layout with its mode; private ones are 0700.
    public var directories: [(URL, Int)] {
        [(root, 0o700), (secretsDirectory, 0o700), (tlsDirectory, 0o700),
         (root.appendingPathComponent("keys"), 0o755), (trustedKeysDirectory, 0o755),
         (stateDirectory, 0o700), (bundlesDirectory, 0o700), (stacksDirectory, 0o755),
         (volumesDirectory, 0o755), (logsDirectory, 0o700), (tmpDirectory, 0o700)]
    }

    /// Whether the home has been initialised.
    public var isInitialized: Bool { FileManager.default.fileExists(atPath: configFile.path) }

    /// Creates the layout and a default `config.json` when missing. Existing files are kept.
    /// - Returns: Paths created, for reporting.
    /// - Throws: `home.invalid` when a path exists but is not a directory, `io.failed` otherwise.
    @discardableResult
    public func initialize() throws -> [String] {
        var created: [String] = []
        let fm = FileManager.default
        // A home that already exists must be safe before anything is put in it.
        if fm.fileExists(atPath: root.path) { try requireSafe() }
        for (url, mode) in directories {
            var isDir: ObjCBool = false
            if fm.fileExists(atPath: url.path, isDirectory: &isDir) {
                guard isDir.boolValue else {
                    throw StackError(.homeInvalid, "\(url.path) exists and is not a directory")
                }
                continue
            }
            do {
                try fm.createDirectory(at: url, withIntermediateDirectories: true,
                                       attributes: [.posixPermissions: mode])
            } catch {
                throw StackError(.ioFailed, "cannot create \(url.path)", cause: error)
            }
            created.append(url.path)
        }
        if !fm.fileExists(atPath: configFile.path) {
            let lock = try HomeLock(home: self)
            defer { lock.unlock() }
            if !fm.fileExists(atPath: configFile.path) {
                try AtomicFile.write(Array(StackConfig().encoded()), to: configFile, mode: 0o600)
                created.append(configFile.path)
            }
        }
        return created
    }

    /// Throws unless the home has been initialised and is safe (``requireSafe()``).
    /// - Throws: `home.not_initialized` with a hint, or `home.unsafe`.
    public func requireInitialized() throws {
        guard isInitialized else {
            throw StackError(.homeNotInitialized, "\(root.path) is not a Stack Desktop home",
                             hint: "run `stackctl init` (or pass --home DIR)")
        }
        try requireSafe()
        // Recovery: what a killed install left in tmp/ goes before anything else runs.
        BundleWorkflow.removeAbandonedStaging(in: tmpDirectory)
    }

    /// The paths whose safety decides what runs: the home itself, the trusted keys, the
    /// secrets, the trust rules and the settings.
    var guardedPaths: [URL] {
        [root, root.appendingPathComponent("keys"), trustedKeysDirectory, secretsDirectory, trustFile, configFile]
    }

    /// Refuses a home another local user could change: the home, `keys/`,
    /// `keys/trusted/`, `secrets/`, `trust.json` and `config.json` must belong to this user
    /// and be writable by no one else, and (but the home itself) must not be symbolic
    /// links. Otherwise another user could swap the trusted keys or the trust rules.
    /// - Throws: `home.unsafe` naming the path, with the command that fixes it.
    public func requireSafe() throws {
        let me = geteuid()
        for url in guardedPaths {
            var info = stat()
            let isRoot = url == root
            let found = isRoot ? stat(url.path, &info) : lstat(url.path, &info)
            guard found == 0 else { continue }  // absent: init creates it, safely
            if !isRoot, (info.st_mode & S_IFMT) == S_IFLNK {
                throw StackError(.homeUnsafe, "\(url.path) is a symbolic link; the home's keys, secrets and settings must be real files",
                                 hint: "replace the link with the file or folder itself")
            }
            if info.st_uid != me {
                throw StackError(.homeUnsafe, "\(url.path) belongs to another user (uid \(info.st_uid))",
                                 hint: "use a home of your own (--home DIR), or `chown -R $(id -u) \(root.path)`")
            }
            if info.st_mode & 0o022 != 0 {
                throw StackError(.homeUnsafe,
                                 "\(url.path) is writable by \((info.st_mode & 0o002) != 0 ? "every user" : "its group") (mode 0\(String(info.st_mode & 0o777, radix: 8)))",
                                 hint: "`chmod go-w \(url.path)`")
            }
        }
    }
}
