internal import COpenSSL
import Foundation
import StackCore

/// A TLS server configuration (an `SSL_CTX`): TLS 1.2 minimum, forward-secret AEAD suites
/// for TLS 1.2 (TLS 1.3's are all forward-secret), no renegotiation, the loopback key and
/// certificate. Shared by all connections; freed on deinit.
public final class TLSServerContext: @unchecked Sendable {
    // @unchecked Sendable: the SSL_CTX is configured in init and only read afterwards
    // (SSL_new), which OpenSSL 3 allows from any thread.
    let context: OpaquePointer

    /// TLS 1.2 suites offered: ECDHE key exchange (forward secrecy) with AEAD ciphers.
    public static let tls12Ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305"

    /// Creates the context.
    /// - Parameter certificate: The loopback key and certificate.
    /// - Throws: `crypto.failed`.
    public init(certificate: LoopbackCertificate) throws {
        guard let ctx = SSL_CTX_new(TLS_server_method()) else { throw OpenSSLError.failure("SSL_CTX_new") }
        context = ctx
        try OpenSSLError.check(stack_SSL_CTX_set_min_proto_version(ctx, stack_TLS1_2_VERSION()), "min protocol")
        _ = stack_SSL_CTX_set_options(ctx, stack_SSL_OP_NO_RENEGOTIATION() | stack_SSL_OP_CIPHER_SERVER_PREFERENCE())
        _ = stack_SSL_CTX_set_mode(ctx, stack_SSL_MODE_RELEASE_BUFFERS())
        try OpenSSLError.check(SSL_CTX_set_cipher_list(ctx, Self.tls12Ciphers), "SSL_CTX_set_cipher_list")
        let x509 = try LoopbackCertificate.parseCertificate(certificate.certificatePEM)
        defer { X509_free(x509) }
        let key = try LoopbackCertificate.parseKey(certificate.keyPEM)
        defer { EVP_PKEY_free(key) }
        try OpenSSLError.check(SSL_CTX_use_certificate(ctx, x509), "SSL_CTX_use_certificate")
        try OpenSSLError.check(SSL_CTX_use_PrivateKey(ctx, key), "SSL_CTX_use_PrivateKey")
        try OpenSSLError.check(SSL_CTX_check_private_key(ctx), "SSL_CTX_check_private_key")
    }

    deinit { SSL_CTX_free(context) }

    /// Wraps an accepted socket and performs the server handshake (blocking; the socket's
    /// receive/send timeouts bound it).
    /// - Parameter descriptor: The accepted socket; the connection owns it from now on.
    /// - Returns: The connection.
    /// - Throws: `tls.failed` (the descriptor is closed).
    public func accept(descriptor: Int32) throws -> TLSConnection {
        guard let ssl = SSL_new(context) else {
            Posix.close(descriptor)
            throw OpenSSLError.failure("SSL_new")
        }
        let connection = TLSConnection(ssl: ssl, descriptor: descriptor)
        guard SSL_set_fd(ssl, descriptor) == 1 else {
            connection.close()
            throw OpenSSLError.failure("SSL_set_fd")
        }
        let status = SSL_accept(ssl)
        guard status == 1 else {
            let detail = OpenSSLError.drainQueue().joined(separator: "; ")
            connection.close()
            throw StackError(.tlsFailed, "TLS handshake failed\(detail.isEmpty ? "" : ": \(detail)")")
        }
        return connection
    }
}

/// One TLS connection over a socket: blocking reads and writes on the connection's own
/// thread; ``close()`` is idempotent and may be called from another thread to unblock it.
public final class TLSConnection: @unchecked Sendable {
    // @unchecked Sendable: `ssl` is used only by the connection's own thread; `close()`
    // from another thread only shuts the socket down (which makes blocked calls return)
    // and the state change is behind a lock; the SSL object is freed once, by whichever
    // call closes first, after the owner stopped using it (the owner calls `close()` last).
    private let ssl: OpaquePointer
    /// The socket descriptor.
    public let descriptor: Int32
    private let state = LockedBox(false)

    init(ssl: OpaquePointer, descriptor: Int32) {
        self.ssl = ssl
        self.descriptor = descriptor
    }

    /// Reads decrypted bytes.
    /// - Returns: Bytes read; 0 when the peer closed or the read timed out.
    public func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        guard !state.withLock({ $0 }) else { return 0 }
        let n = SSL_read(ssl, buffer.baseAddress, Int32(min(buffer.count, Int(Int32.max))))
        if n <= 0 {
            ERR_clear_error()
            return 0
        }
        return Int(n)
    }

    /// Writes all of `bytes`.
    /// - Returns: `false` when the connection failed.
    public func write(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var offset = 0
        while offset < bytes.count {
            guard !state.withLock({ $0 }), let base = bytes.baseAddress else { return false }
            let n = SSL_write(ssl, base + offset, Int32(min(bytes.count - offset, 1 << 20)))
            if n <= 0 {
                ERR_clear_error()
                return false
            }
            offset += Int(n)
        }
        return true
    }

    /// Makes blocked reads and writes return (from any thread).
    public func interrupt() { Posix.shutdownBoth(descriptor) }

    /// Sends close_notify (best effort), closes the socket and frees the TLS state.
    public func close() {
        let first = state.withLock { closed -> Bool in
            defer { closed = true }
            return !closed
        }
        guard first else { return }
        SSL_shutdown(ssl)
        SSL_free(ssl)
        Posix.close(descriptor)
    }

    deinit { close() }
}
