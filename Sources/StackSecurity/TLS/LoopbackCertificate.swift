internal import COpenSSL
import Foundation
import StackCore

/// The self-signed loopback **leaf** certificate of DESIGN §8: EC P-256, SAN
/// `IP:127.0.0.1`, `IP:::1`, `DNS:localhost`, `CA:FALSE`, server authentication only,
/// 397 days. Stored as `tls/key.pem` (0600) and `tls/cert.pem` (0644).
public struct LoopbackCertificate: Sendable {
    /// The certificate's PEM text.
    public let certificatePEM: [UInt8]
    /// The private key's PEM text.
    let keyPEM: [UInt8]
    /// When it stops being valid.
    public let notAfter: Date
    /// SHA-256 of the DER certificate, `AB:CD:…` upper-case hex (what browsers show).
    public let fingerprint: String

    /// Days of validity of a new certificate.
    public static let validityDays = 397

    /// Generates a new key and certificate.
    /// - Returns: The certificate.
    /// - Throws: `crypto.failed` with OpenSSL's message.
    public static func generate() throws -> LoopbackCertificate {
        let pkey = try generateKey()
        defer { EVP_PKEY_free(pkey) }
        guard let x509 = X509_new() else { throw OpenSSLError.failure("X509_new") }
        defer { X509_free(x509) }
        try OpenSSLError.check(X509_set_version(x509, 2), "X509_set_version")
        let serial = try SecureRandom.bytes(16)
        guard let bn = serial.withUnsafeBufferPointer({ BN_bin2bn($0.baseAddress, Int32($0.count), nil) }) else {
            throw OpenSSLError.failure("BN_bin2bn")
        }
        defer { BN_free(bn) }
        guard BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x509)) != nil else { throw OpenSSLError.failure("serial") }
        guard X509_gmtime_adj(X509_getm_notBefore(x509), -300) != nil,
              X509_gmtime_adj(X509_getm_notAfter(x509), Int(validityDays) * 86_400) != nil else {
            throw OpenSSLError.failure("X509_gmtime_adj")
        }
        try OpenSSLError.check(X509_set_pubkey(x509, pkey), "X509_set_pubkey")
        guard let name = X509_get_subject_name(x509) else { throw OpenSSLError.failure("subject") }
        try OpenSSLError.check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, "localhost", -1, -1, 0), "CN")
        try OpenSSLError.check(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, "Stack Desktop (this computer only)", -1, -1, 0), "O")
        try OpenSSLError.check(X509_set_issuer_name(x509, name), "X509_set_issuer_name")
        let context = UnsafeMutablePointer<X509V3_CTX>.allocate(capacity: 1)
        defer { context.deallocate() }
        context.initialize(to: X509V3_CTX())
        X509V3_set_ctx(context, x509, x509, nil, nil, 0)
        for (nid, value) in [(NID_subject_alt_name, "IP:127.0.0.1,IP:::1,DNS:localhost"),
                             (NID_basic_constraints, "critical,CA:FALSE"),
                             (NID_key_usage, "critical,digitalSignature"),
                             (NID_ext_key_usage, "serverAuth"),
                             (NID_subject_key_identifier, "hash")] {
            guard let ext = X509V3_EXT_conf_nid(nil, context, nid, value) else { throw OpenSSLError.failure("extension \(value)") }
            defer { X509_EXTENSION_free(ext) }
            try OpenSSLError.check(X509_add_ext(x509, ext, -1), "X509_add_ext")
        }
        guard X509_sign(x509, pkey, EVP_sha256()) > 0 else { throw OpenSSLError.failure("X509_sign") }
        let keyPEM = try pem { PEM_write_bio_PrivateKey($0, pkey, nil, nil, 0, nil, nil) }
        let certPEM = try pem { PEM_write_bio_X509($0, x509) }
        return try LoopbackCertificate(certificatePEM: certPEM, keyPEM: keyPEM)
    }

    init(certificatePEM: [UInt8], keyPEM: [UInt8]) throws {
        self.certificatePEM = certificatePEM
        self.keyPEM = keyPEM
        let x509 = try Self.parseCertificate(certificatePEM)
        defer { X509_free(x509) }
        var tm = tm()
        guard let after = X509_get0_notAfter(x509), ASN1_TIME_to_tm(after, &tm) == 1 else {
            throw OpenSSLError.failure("notAfter")
        }
        notAfter = Date(timeIntervalSince1970: TimeInterval(timegm(&tm)))
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        try OpenSSLError.check(X509_digest(x509, EVP_sha256(), &digest, &length), "X509_digest")
        fingerprint = digest.prefix(Int(length)).map { byte in
            let hex = String(byte, radix: 16, uppercase: true)
            return hex.count == 1 ? "0" + hex : hex
        }.joined(separator: ":")
    }

    /// Whether the certificate expires within `interval` of `now`.
    public func needsRenewal(within interval: TimeInterval = 30 * 86_400, now: Date = Date()) -> Bool {
        notAfter.timeIntervalSince(now) < interval
    }

    /// Writes `key.pem` (0600) and `cert.pem` (0644) atomically into `directory`.
    /// - Throws: `io.failed`.
    public func write(to directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        try AtomicFile.write(keyPEM, to: directory.appendingPathComponent("key.pem"), mode: 0o600)
        try AtomicFile.write(certificatePEM, to: directory.appendingPathComponent("cert.pem"), mode: 0o644)
    }

    /// Loads `key.pem` and `cert.pem` from `directory`, refusing a key file that group or
    /// others can read.
    /// - Throws: `tls.missing`, `tls.key_permissions`, `crypto.failed`.
    public static func load(from directory: URL) throws -> LoopbackCertificate {
        let keyURL = directory.appendingPathComponent("key.pem")
        let certURL = directory.appendingPathComponent("cert.pem")
        guard let keyData = FileManager.default.contents(atPath: keyURL.path),
              let certData = FileManager.default.contents(atPath: certURL.path) else {
            throw StackError(.tlsMissing, "no TLS key and certificate in \(directory.path)", hint: "run `stackctl init`")
        }
        var info = stat()
        guard lstat(keyURL.path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_mode & 0o077 == 0 else {
            throw StackError(.tlsKeyPermissions, "\(keyURL.path) is readable by others", hint: "chmod 600 \(keyURL.path)")
        }
        return try LoopbackCertificate(certificatePEM: [UInt8](certData), keyPEM: [UInt8](keyData))
    }

    /// Loads the home's certificate, creating or renewing it when missing or within 30 days
    /// of expiry.
    /// - Returns: The certificate and whether it was (re)created.
    public static func ensure(in directory: URL, now: Date = Date()) throws -> (LoopbackCertificate, Bool) {
        if let existing = try? load(from: directory), !existing.needsRenewal(now: now) { return (existing, false) }
        if FileManager.default.fileExists(atPath: directory.appendingPathComponent("key.pem").path) {
            // A key with loose permissions must not be silently replaced: report it.
            _ = try load(from: directory)
        }
        let fresh = try generate()
        try fresh.write(to: directory)
        return (fresh, true)
    }

    static func generateKey() throws -> OpaquePointer {
        guard let ctx = EVP_PKEY_CTX_new_from_name(nil, "EC", nil) else { throw OpenSSLError.failure("EVP_PKEY_CTX_new_from_name") }
        defer { EVP_PKEY_CTX_free(ctx) }
        try OpenSSLError.check(EVP_PKEY_keygen_init(ctx), "EVP_PKEY_keygen_init")
        try OpenSSLError.check(EVP_PKEY_CTX_set_group_name(ctx, "P-256"), "EVP_PKEY_CTX_set_group_name")
        var pkey: OpaquePointer?
        try OpenSSLError.check(EVP_PKEY_generate(ctx, &pkey), "EVP_PKEY_generate")
        guard let pkey else { throw OpenSSLError.failure("EVP_PKEY_generate") }
        return pkey
    }

    static func pem(_ write: (OpaquePointer) -> Int32) throws -> [UInt8] {
        guard let bio = BIO_new(BIO_s_mem()) else { throw OpenSSLError.failure("BIO_new") }
        defer { BIO_free(bio) }
        guard write(bio) == 1 else { throw OpenSSLError.failure("PEM_write") }
        var pointer: UnsafeMutablePointer<CChar>?
        let length = stack_BIO_get_mem_data(bio, &pointer)
        guard length > 0, let pointer else { throw OpenSSLError.failure("BIO_get_mem_data") }
        return Array(UnsafeRawBufferPointer(start: pointer, count: Int(length)))
    }

    static func parseCertificate(_ pem: [UInt8]) throws -> OpaquePointer {
        try pem.withUnsafeBytes { raw in
            guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else { throw OpenSSLError.failure("BIO_new_mem_buf") }
            defer { BIO_free(bio) }
            guard let x509 = PEM_read_bio_X509(bio, nil, nil, nil) else { throw OpenSSLError.failure("PEM_read_bio_X509") }
            return x509
        }
    }

    static func parseKey(_ pem: [UInt8]) throws -> OpaquePointer {
        try pem.withUnsafeBytes { raw in
            guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else { throw OpenSSLError.failure("BIO_new_mem_buf") }
            defer { BIO_free(bio) }
            guard let key = PEM_read_bio_PrivateKey(bio, nil, nil, nil) else { throw OpenSSLError.failure("PEM_read_bio_PrivateKey") }
            return key
        }
    }
}

extension StackError.Code {
    /// The TLS key or certificate is missing.
    public static let tlsMissing = Self("tls.missing", exit: .failure)
    /// The TLS key file is readable by group or others.
    public static let tlsKeyPermissions = Self("tls.key_permissions", exit: .failure)
    /// A TLS handshake or transfer failed.
    public static let tlsFailed = Self("tls.failed", exit: .failure)
}
