import StackCore
import StackSecurity
import Testing

@Suite("minisign comments")
struct MinisignCommentTests {
    @Test("a public key file's comment prints the key id as minisign does, without leading zeros")
    func unpaddedKeyID() throws {
        let key = try MinisignPublicKey(keyIDBytes: [1, 2, 3, 4, 5, 6, 7, 0x0A], publicKey: [UInt8](repeating: 7, count: 32))
        #expect(key.keyID == "0A07060504030201")
        #expect(key.fileContents.hasPrefix("untrusted comment: minisign public key A07060504030201\n"))
    }

    @Test("trusted-comment fields split on tabs and on a literal backslash-t (minisign -t in single quotes)",
          arguments: ["stack:hello\tversion:1.0.0", "stack:hello\\tversion:1.0.0"])
    func separators(_ comment: String) throws {
        #expect(try MinisignSignature.trustedFields(of: comment) == ["stack": "hello", "version": "1.0.0"])
    }
}
