import StackCore
import Testing

@Suite("Stack names")
struct ManifestNameTests {
    static let valid = [
        "a", "0", "404", "hello-web", "a-", "a--b", "web2", String(repeating: "a", count: 63),
        "0" + String(repeating: "-", count: 62),
    ]

    @Test("accepts [a-z0-9][a-z0-9-]{0,62}", arguments: valid)
    func accepts(_ name: String) {
        #expect(Manifest.isValidName(name))
    }

    static let invalid = [
        "", "-", "-a", "A", "Hello", "hello_web", "hello.web", "hello web", "a/b", "..", " a", "a ",
        "caf\u{E9}", "\u{FF41}", "a\u{0}", String(repeating: "a", count: 64),
    ]

    @Test("refuses everything else", arguments: invalid)
    func refuses(_ name: String) {
        #expect(!Manifest.isValidName(name), "\(name) was accepted")
    }
}
