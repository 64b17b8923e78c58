import Foundation
import StackCore
import StackSecurity
import StackTestSupport
import Testing

/// Runs openssl with arguments; returns stdout.
private func openssl(_ arguments: [String]) throws -> String {
    try ChildProcess.runBlocking("/usr/bin/openssl", arguments).stdout
}

@Suite("Loopback TLS certificate")
struct LoopbackCertificateTests {
    @Test("a generated leaf has the loopback SANs, CA:FALSE, serverAuth, 397 days, a 0600 key, and openssl's fingerprint")
    func generated() throws {
        let tmp = try TemporaryDirectory("tls")
        let certificate = try LoopbackCertificate.generate()
        try certificate.write(to: tmp.url)
        let certPath = tmp.path("cert.pem").path
        let text = try openssl(["x509", "-in", certPath, "-noout", "-text"])
        #expect(text.contains("IP Address:127.0.0.1"))
        #expect(text.contains("IP Address:0:0:0:0:0:0:0:1"))
        #expect(text.contains("DNS:localhost"))
        #expect(text.contains("CA:FALSE"))
        #expect(text.contains("TLS Web Server Authentication"))
        #expect(text.contains("ASN1 OID: prime256v1"))
        let days = certificate.notAfter.timeIntervalSinceNow / 86_400
        #expect(days > 396 && days <= 397.01)
        let fingerprint = try openssl(["x509", "-in", certPath, "-noout", "-fingerprint", "-sha256"])
        #expect(fingerprint.contains(certificate.fingerprint))
        let mode = try FileManager.default.attributesOfItem(atPath: tmp.path("key.pem").path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let loaded = try LoopbackCertificate.load(from: tmp.url)
        #expect(loaded.fingerprint == certificate.fingerprint)
    }

    @Test("renewal: needed within 30 days of expiry; ensure keeps a fresh one and replaces an expiring one")
    func renewal() throws {
        let tmp = try TemporaryDirectory("tls-renew")
        let (first, created) = try LoopbackCertificate.ensure(in: tmp.url)
        #expect(created)
        #expect(!first.needsRenewal())
        #expect(first.needsRenewal(now: first.notAfter.addingTimeInterval(-29 * 86_400)))
        #expect(!first.needsRenewal(now: first.notAfter.addingTimeInterval(-31 * 86_400)))
        let (same, again) = try LoopbackCertificate.ensure(in: tmp.url)
        #expect(!again && same.fingerprint == first.fingerprint)
        let (renewed, replaced) = try LoopbackCertificate.ensure(in: tmp.url, now: first.notAfter.addingTimeInterval(-86_400))
        #expect(replaced && renewed.fingerprint != first.fingerprint)
    }

    @Test("a key readable by others is refused, and ensure does not silently replace it")
    func keyPermissions() throws {
        let tmp = try TemporaryDirectory("tls-perm")
        try LoopbackCertificate.generate().write(to: tmp.url)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: tmp.path("key.pem").path)
        let error = stackError { _ = try LoopbackCertificate.load(from: tmp.url) }
        #expect(error?.code == .tlsKeyPermissions)
        #expect(error?.hint?.contains("chmod 600") == true)
        #expect(stackError { _ = try LoopbackCertificate.ensure(in: tmp.url) }?.code == .tlsKeyPermissions)
    }
}
