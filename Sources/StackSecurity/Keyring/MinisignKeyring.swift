import Foundation
import StackCore

/// The trusted publisher keys: one minisign public key file per key, named
/// `<KEYID>.pub`, in a directory (`StackHome.trustedKeysDirectory`, DESIGN §2).
///
/// Writes are atomic (AtomicFile). Callers that mutate the home hold its lock
/// (`HomeLock`); the keyring itself does not lock.
public struct MinisignKeyring: Sendable {
    /// The directory holding the `.pub` files.
    public let directory: URL

    /// Creates a keyring over a directory (which need not exist yet).
    /// - Parameter directory: Usually `StackHome.trustedKeysDirectory`.
    public init(directory: URL) {
        self.directory = directory
    }

    /// The file a key is kept in.
    /// - Parameter keyID: The printed key id.
    /// - Returns: `<directory>/<KEYID>.pub`.
    public func file(forKeyID keyID: String) -> URL {
        directory.appendingPathComponent("\(keyID).pub")
    }

    /// Lists the trusted keys, sorted by key id. Files not ending in `.pub` are ignored;
    /// a missing directory is an empty keyring.
    /// - Returns: The keys.
    /// - Throws: `key.invalid` naming the file when a `.pub` file is not a minisign
    ///   public key or its name is not its key id; `io.failed` when the directory or a
    ///   file cannot be read.
    public func list() throws -> [MinisignPublicKey] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            if !FileManager.default.fileExists(atPath: directory.path) { return [] }
            throw StackError(.ioFailed, "cannot list \(directory.path)", cause: error)
        }
        var keys: [MinisignPublicKey] = []
        for name in names.sorted() where name.hasSuffix(".pub") && !name.hasPrefix(".") {
            let url = directory.appendingPathComponent(name)
            let bytes: [UInt8]
            do {
                bytes = Array(try Data(contentsOf: url))
            } catch {
                throw StackError(.ioFailed, "cannot read trusted key \(url.path)", cause: error)
            }
            let key: MinisignPublicKey
            do {
                key = try MinisignPublicKey(parsing: bytes)
            } catch let error as StackError {
                throw StackError(.keyInvalid, "trusted key file \(url.path): \(error.message)",
                                 hint: "remove or replace the file")
            }
            guard name == "\(key.keyID).pub" else {
                throw StackError(.keyInvalid, "trusted key file \(url.path) holds key \(key.keyID); its name must be \(key.keyID).pub",
                                 hint: "remove the file and trust the key again")
            }
            keys.append(key)
        }
        return keys.sorted { $0.keyID < $1.keyID }
    }

    /// Trusts a key by writing `<KEYID>.pub` (mode 0644) in minisign's public key format.
    /// - Parameter key: The key.
    /// - Returns: `true` when the key was added, `false` when it was already trusted.
    /// - Throws: `key.invalid` when a different key with the same id is already trusted
    ///   (or that file is unreadable as a key); `io.failed` when writing fails.
    @discardableResult
    public func trust(_ key: MinisignPublicKey) throws -> Bool {
        let url = file(forKeyID: key.keyID)
        if let existing = try? Data(contentsOf: url) {
            let trusted: MinisignPublicKey
            do {
                trusted = try MinisignPublicKey(parsing: Array(existing))
            } catch {
                throw StackError(.keyInvalid, "trusted key file \(url.path) is not a minisign public key",
                                 hint: "remove the file and trust the key again")
            }
            if trusted == key { return false }
            throw StackError(.keyInvalid, "a different key with id \(key.keyID) is already trusted",
                             hint: "untrust it first with `stackctl keys untrust \(key.keyID)`")
        }
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o755])
        } catch {
            throw StackError(.ioFailed, "cannot create \(directory.path)", cause: error)
        }
        try AtomicFile.write(Array(key.fileContents.utf8), to: url, mode: 0o644)
        return true
    }

    /// Stops trusting a key by removing its file.
    /// - Parameter keyID: The printed key id (16 hex digits; lower case is accepted).
    /// - Throws: `key.invalid` when `keyID` is not 16 hex digits, `key.not_found` when no
    ///   such key is trusted, `io.failed` when the file cannot be removed.
    public func untrust(keyID: String) throws {
        guard let bytes = Minisign.keyIDBytes(keyID) else {
            throw StackError(.keyInvalid, "\"\(keyID)\" is not a minisign key id (16 hex digits)")
        }
        let canonical = Minisign.keyIDString(bytes)
        let url = file(forKeyID: canonical)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw StackError(.keyNotFound, "key \(canonical) is not trusted",
                             hint: "see the trusted keys with `stackctl keys list`")
        }
        guard unlink(url.path) == 0 else { throw AtomicFile.ioError("remove", url.path) }
        AtomicFile.syncDirectory(directory.path)
    }

    /// A verifier over the keys trusted now.
    /// - Parameter allowLegacy: Accept legacy `Ed` signatures.
    /// - Returns: The verifier.
    /// - Throws: As ``list()``.
    public func verifier(allowLegacy: Bool = false) throws -> MinisignVerifier {
        MinisignVerifier(trustedKeys: try list(), allowLegacy: allowLegacy)
    }

    /// Generates a new minisign key pair (random seed, random key id).
    /// - Parameter untrustedComment: The secret key's ``MinisignSecretKey/untrustedComment``,
    ///   the first line of its file. Write the files with
    ///   ``MinisignSecretKey/writeUnencrypted(to:)`` and ``MinisignPublicKey/fileContents``.
    /// - Returns: The public and the secret key.
    /// - Throws: `crypto.failed` when the random generator or OpenSSL fails.
    public static func generateKeyPair(untrustedComment: String = MinisignSecretKey.defaultUntrustedComment)
        throws -> (MinisignPublicKey, MinisignSecretKey) {
        var secret = try MinisignSecretKey.generate()
        secret.untrustedComment = untrustedComment
        return (secret.publicKey, secret)
    }
}
