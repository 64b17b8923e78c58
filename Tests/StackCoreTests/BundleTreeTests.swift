@testable import StackCore
import Testing

@Suite("Bundle paths for the policy")
struct BundleTreeTests {
    @Test("bundle paths resolve lexically, relative to the compose file", arguments: [
        ("./www", "inside:www"), ("www/", "inside:www"), (".", "inside:"), ("./a/../www", "inside:www"),
        ("..", "escapes"), ("./www/../../x", "escapes"), ("/etc", "host"), ("~", "host"), ("~/x", "host"),
        ("C:/Windows", "host"), ("a\\b", "host"),
    ])
    func bundlePaths(path: String, expected: String) {
        let tree = BundleTree(entries: [BundleEntry(path: "www/index.html", kind: .file, size: 1, mode: 0o644)],
                              composePath: "compose.yaml")
        let shown: String = switch tree.resolve(path) {
        case .inside(let p): "inside:" + p
        case .escapes: "escapes"
        case .host: "host"
        }
        #expect(shown == expected)
    }
}
