import Foundation
import StackCore

/// One hostile bundle and the exact rejection it must get.
public struct HostileBundle: Sendable, CustomStringConvertible {
    /// What the attack is.
    public let name: String
    /// The error code the reader must raise.
    public let expected: StackError.Code
    /// Writes the bundle file.
    public let write: @Sendable (URL) throws -> Void
    /// Limits to apply, when the case needs tighter ones than the defaults.
    public let limits: BundleLimits

    public var description: String { name }

    init(_ name: String, _ expected: StackError.Code, limits: BundleLimits = .default,
         write: @escaping @Sendable (URL) throws -> Void) {
        self.name = name
        self.expected = expected
        self.limits = limits
        self.write = write
    }

    /// A valid bundle with `extra` appended after its files.
    static func after(_ name: String, _ expected: StackError.Code,
                      _ extra: @escaping @Sendable (inout TarBuilder) -> Void) -> HostileBundle {
        HostileBundle(name, expected) { url in
            var tar = Fixtures.validBundle()
            extra(&tar)
            try tar.write(to: url)
        }
    }
}

/// One case per rule of the entry policy (DESIGN §4.2).
public enum HostileBundles {
    /// Deterministic pseudo-random bytes.
    public static func noise(_ count: Int, seed: UInt64) -> [UInt8] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
    }

    /// Every hostile case.
    public static let all: [HostileBundle] = [
        .after("../evil", .bundlePathTraversal) { $0.add("../evil", text: "pwned") },
        .after("a/../../evil", .bundlePathTraversal) { $0.add("a/../../evil", text: "pwned") },
        .after("directory ../", .bundlePathTraversal) { $0.add("../", .directory) },
        .after("absolute path", .bundleAbsolutePath) { $0.add("/tmp/stack-evil-absolute", text: "pwned") },
        .after("drive letter", .bundleAbsolutePath) { $0.add("C:/evil", text: "pwned") },
        .after("backslash", .bundleBackslash) { $0.add("..\\evil", text: "pwned") },
        .after("symlink to outside", .bundleSymlink) { $0.add("link", .symlink("/etc/passwd")) },
        .after("relative symlink escape", .bundleSymlink) { $0.add("docs/link", .symlink("../../../outside")) },
        .after("any symlink", .bundleSymlink) { $0.add("alias.yaml", .symlink("compose.yaml")) },
        .after("symlink then write through it", .bundleSymlink) {
            $0.add("escape", .symlink("/tmp"))
            $0.add("escape/stack-evil-through-link", text: "pwned")
        },
        .after("hardlink out", .bundleHardlink) { $0.add("passwd", .hardlink("/etc/passwd")) },
        .after("hardlink in", .bundleHardlink) { $0.add("copy.yaml", .hardlink("stack.yaml")) },
        .after("character device", .bundleSpecialFile) { $0.add("null", .characterDevice) },
        .after("block device", .bundleSpecialFile) { $0.add("disk", .blockDevice) },
        .after("FIFO", .bundleSpecialFile) { $0.add("pipe", .fifo) },
        .after("control character", .bundleControlCharacter) { $0.add([0x61, 0x01, 0x62], .file([1])) },
        .after("newline in name", .bundleControlCharacter) { $0.add("evil\nname", text: "x") },
        .after("300-byte component", .bundleComponentTooLong) {
            $0.add(String(repeating: "c", count: 300), text: "x")
        },
        .after("1,100-byte path", .bundlePathTooLong) {
            $0.add((0..<11).map { _ in String(repeating: "p", count: 99) }.joined(separator: "/"), text: "x")
        },
        .after("duplicate stack.yaml", .bundleDuplicateEntry) { $0.add("stack.yaml", text: Fixtures.manifest) },
        .after("Stack.yaml beside stack.yaml", .bundleNameCollision) { $0.add("Stack.yaml", text: Fixtures.manifest) },
        .after("NFC/NFD pair", .bundleNameCollision) {
            $0.add("caf\u{E9}.txt", text: "nfc")
            $0.add(Array("cafe\u{301}.txt".utf8), .file(Array("nfd".utf8)))
        },
        .after("file then x/y", .bundleTypeConflict) {
            $0.add("x", text: "file")
            $0.add("x/y", text: "under a file")
        },
        .after("directory replaced by file", .bundleTypeConflict) { $0.add("docs", text: "file") },
        HostileBundle("no manifest", .bundleManifestMissing) { url in
            var tar = TarBuilder()
            tar.add("compose.yaml", text: Fixtures.compose)
            try tar.write(to: url)
        },
        HostileBundle("manifest only in a subfolder", .bundleManifestMissing) { url in
            var tar = TarBuilder()
            tar.add("app/stack.yaml", text: Fixtures.manifest)
            tar.add("app/compose.yaml", text: Fixtures.compose)
            try tar.write(to: url)
        },
        .after("1 GiB of zeros", .bundleCompressionRatio) { $0.add("zeros.bin", .zeros(1 << 30)) },
        HostileBundle("expanded size over the limit", .bundleTooLarge,
                      limits: BundleLimits(maxExpandedBytes: 1 << 20)) { url in
            var tar = Fixtures.validBundle()
            tar.add("big.bin", .file(noise(2 << 20, seed: 7)))
            try tar.write(to: url)
        },
        .after("30,000 entries", .bundleTooManyEntries) { tar in
            for i in 0..<30_000 { tar.add("many/f\(i)", .file([])) }
        },
        HostileBundle("truncated gzip", .bundleTruncated) { url in
            var tar = Fixtures.validBundle()
            tar.add("noise.bin", .file(noise(200_000, seed: 3)))
            let full = url.deletingLastPathComponent().appendingPathComponent("full-\(UUID().uuidString).gz")
            try tar.write(to: full)
            let bytes = try Data(contentsOf: full)
            try FileManager.default.removeItem(at: full)
            try bytes.prefix(bytes.count / 2).write(to: url)
        },
        HostileBundle("random bytes", .bundleNotABundle) { url in
            try Data(noise(65_536, seed: 11)).write(to: url)
        },
        HostileBundle("empty file", .bundleNotABundle) { url in
            try Data().write(to: url)
        },
    ]
}
