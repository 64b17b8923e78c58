import Foundation
import StackCore

/// The HS256 secret shared with the website (`secrets/api.secret`, DESIGN §2).
///
/// The file holds one line: the base64url text (no padding) of at least 32 random bytes.
/// The HMAC key is that **text**, byte for byte, so the website can paste the line into its
/// configuration and use it as-is. The text lives in a buffer that is wiped when the last
/// copy of the secret is released; it never appears in a description, log or error.
public struct SharedSecret: Sendable, CustomStringConvertible {
    /// The fewest random bytes a secret may encode.
    public static let minimumByteCount = 32
    /// The largest secret file read.
    static let maximumFileSize = 4096

    let key: SecureBytes

    /// Wraps secret text after checking its format.
    /// - Parameter text: The base64url text of the secret (one line, no newline).
    /// - Throws: `auth.secret_invalid` when the text is not canonical unpadded base64url of
    ///   at least ``minimumByteCount`` bytes.
    public init(text: String) throws {
        var bytes = Array(text.utf8)
        defer { wipe(&bytes) }
        try self.init(textBytes: bytes)
    }

    /// Wraps secret text held in bytes after checking its format.
    /// - Parameter textBytes: The base64url text's bytes; the caller wipes its copy.
    /// - Throws: `auth.secret_invalid`.
    init(textBytes: [UInt8]) throws {
        guard var decoded = Base64URL.decode(textBytes) else {
            throw StackError(.authSecretInvalid, "the shared secret is not base64url text",
                             hint: "generate a new one with `stackctl init`")
        }
        defer { wipe(&decoded) }
        guard decoded.count >= Self.minimumByteCount else {
            throw StackError(.authSecretInvalid,
                             "the shared secret encodes \(decoded.count) bytes; at least \(Self.minimumByteCount) are required",
                             hint: "generate a new one with `stackctl init`")
        }
        key = textBytes.withUnsafeBytes { SecureBytes(copying: $0) }
    }

    /// Generates a fresh secret: 32 random bytes from OpenSSL's DRBG, as base64url text.
    /// - Returns: The secret.
    /// - Throws: `crypto.failed` when the generator fails.
    public static func generate() throws -> SharedSecret {
        var random = try SecureRandom.bytes(minimumByteCount)
        defer { wipe(&random) }
        var text = Array(Base64URL.encode(random).utf8)
        defer { wipe(&text) }
        return try SharedSecret(textBytes: text)
    }

    /// Loads the secret from its file, refusing a file others could read.
    /// - Parameter url: The file (`secrets/api.secret`).
    /// - Returns: The secret.
    /// - Throws: `io.not_found` when the file is missing, `auth.secret_permissions` when it
    ///   is not a regular file, is a symbolic link, is owned by another user or has any
    ///   group/other permission bit, `auth.secret_invalid` when its content is not one line
    ///   of base64url, `io.failed` when it cannot be read.
    public static func load(from url: URL) throws -> SharedSecret {
        let path = url.path
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard fd >= 0 else {
            switch errno {
            case ENOENT:
                throw StackError(.fileNotFound, "the shared secret \(path) does not exist",
                                 hint: "create it with `stackctl init`")
            case ELOOP:
                throw StackError(.authSecretPermissions, "the shared secret \(path) is a symbolic link",
                                 hint: "replace it with a regular file: `stackctl init`")
            default:
                throw AtomicFile.ioError("open", path)
            }
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw AtomicFile.ioError("stat", path) }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw StackError(.authSecretPermissions, "the shared secret \(path) is not a regular file")
        }
        guard info.st_uid == geteuid() else {
            throw StackError(.authSecretPermissions, "the shared secret \(path) is owned by another user",
                             hint: "chown it to the user running stackctl, then `chmod 600 \(path)`")
        }
        let permissions = info.st_mode & 0o777
        guard permissions & 0o077 == 0 else {
            throw StackError(.authSecretPermissions,
                             "the shared secret \(path) is readable or writable by group or others (mode \(String(permissions, radix: 8)))",
                             hint: "chmod 600 \(path)")
        }
        var content = [UInt8](repeating: 0, count: maximumFileSize + 1)
        defer { wipe(&content) }
        var count = 0
        while count < content.count {
            let n = content.withUnsafeMutableBytes { raw in
                read(fd, raw.baseAddress.map { $0 + count }, raw.count - count)
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw AtomicFile.ioError("read", path)
            }
            if n == 0 { break }
            count += n
        }
        guard count <= maximumFileSize else {
            throw StackError(.authSecretInvalid, "the shared secret \(path) is larger than \(maximumFileSize) bytes")
        }
        var end = count
        if end > 0, content[end - 1] == UInt8(ascii: "\n") { end -= 1 }
        if end > 0, content[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        var line = Array(content[0..<end])
        defer { wipe(&line) }
        do {
            return try SharedSecret(textBytes: line)
        } catch let error as StackError {
            throw StackError(error.code, "\(path): \(error.message)", hint: error.hint)
        }
    }

    /// Writes the secret as one line to `url`, atomically, with mode 0600. The parent
    /// directory is created with mode 0700 when missing.
    /// - Parameter url: The file (`secrets/api.secret`).
    /// - Throws: `io.failed`.
    public func write(to url: URL) throws {
        let directory = url.deletingLastPathComponent()
        if !FileManager.default.fileExists(atPath: directory.path) {
            do {
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])
            } catch {
                throw StackError(.ioFailed, "cannot create \(directory.path)", cause: error)
            }
        }
        var line = key.withUnsafeBytes { Array($0) }
        line.append(UInt8(ascii: "\n"))
        defer { wipe(&line) }
        try AtomicFile.write(line, to: url, mode: 0o600)
    }

    /// The secret text, for handing to the website's configuration (`stackctl init` prints
    /// it once). Never log it.
    /// - Returns: The base64url text.
    public func revealText() -> String {
        key.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
    }

    /// Redacted: a secret never describes its content.
    public var description: String { "SharedSecret(redacted)" }
}
