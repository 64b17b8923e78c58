import Foundation
import StackCore
import StackTestSupport
import Testing

extension ArchiveEntryHeader {
    /// A regular-file header.
    /// - Parameters:
    ///   - path: The stored path.
    ///   - size: The declared size.
    ///   - mode: The declared mode bits.
    /// - Returns: The header.
    static func file(_ path: String, size: Int64 = 0, mode: UInt32 = 0o644) -> Self {
        Self(path: path, type: .regular, size: size, mode: mode)
    }

    /// A regular-file header whose path is given byte for byte (invalid UTF-8, NUL, …).
    /// - Parameter raw: The stored path bytes.
    /// - Returns: The header.
    static func file(raw: [UInt8]) -> Self {
        Self(rawPath: raw, type: .regular, size: 0, mode: 0o644)
    }

    /// A directory header.
    /// - Parameters:
    ///   - path: The stored path.
    ///   - mode: The declared mode bits.
    /// - Returns: The header.
    static func dir(_ path: String, mode: UInt32 = 0o755) -> Self {
        Self(path: path, type: .directory, size: 0, mode: mode)
    }
}

/// A sequence of headers that one policy pass must reject with `expected` at the last one.
struct PolicyRejection: Sendable, CustomStringConvertible {
    let name: String
    let headers: [ArchiveEntryHeader]
    let expected: StackError.Code
    var limits: BundleLimits = .default

    var description: String { name }

    init(_ name: String, _ expected: StackError.Code, limits: BundleLimits = .default,
         _ headers: ArchiveEntryHeader...) {
        self.name = name
        self.expected = expected
        self.limits = limits
        self.headers = headers
    }
}

/// A sequence of headers that one policy pass must admit, with the normalised paths it
/// yields (`nil` for a skipped root entry).
struct PolicyAcceptance: Sendable, CustomStringConvertible {
    let name: String
    let headers: [ArchiveEntryHeader]
    let paths: [String?]
    var limits: BundleLimits = .default

    var description: String { name }

    init(_ name: String, limits: BundleLimits = .default, _ headers: [ArchiveEntryHeader],
         _ paths: [String?]) {
        self.name = name
        self.limits = limits
        self.headers = headers
        self.paths = paths
    }
}

/// `count` copies of `letter`.
private func run(_ letter: Character, _ count: Int) -> String { String(repeating: letter, count: count) }

/// A path of five components of the given byte lengths joined by `/`.
private func path(components lengths: [Int]) -> String {
    lengths.enumerated().map { run(Character(UnicodeScalar(UInt8(97 + $0.offset))), $0.element) }
        .joined(separator: "/")
}

@Suite("Entry policy (DESIGN §4.2)")
struct EntryPolicyTests {
    /// Admits every header in order through one policy and returns what it admitted.
    func admitAll(_ headers: [ArchiveEntryHeader], limits: BundleLimits = .default) throws -> [BundleEntry?] {
        var policy = EntryPolicy(limits: limits)
        return try headers.map { try policy.admit($0) }
    }

    /// Admits every header in order and returns the first rejection.
    func rejection(_ headers: [ArchiveEntryHeader], limits: BundleLimits = .default) -> StackError? {
        var policy = EntryPolicy(limits: limits)
        return stackError { for header in headers { _ = try policy.admit(header) } }
    }

    static let rejections: [PolicyRejection] = [
        // Entry types.
        .init("symlink", .bundleSymlink, .init(path: "link", type: .symlink(target: "/etc/passwd"))),
        .init("hardlink", .bundleHardlink, .init(path: "copy", type: .hardlink(target: "stack.yaml"))),
        .init("character device", .bundleSpecialFile, .init(path: "null", type: .characterDevice)),
        .init("block device", .bundleSpecialFile, .init(path: "disk", type: .blockDevice)),
        .init("FIFO", .bundleSpecialFile, .init(path: "pipe", type: .fifo)),
        .init("socket", .bundleSpecialFile, .init(path: "sock", type: .socket)),
        .init("unknown type", .bundleSpecialFile, .init(path: "odd", type: .unknown(0o160000))),
        // Absolute paths and drive letters.
        .init("absolute file", .bundleAbsolutePath, .file("/etc/passwd")),
        .init("root directory /", .bundleAbsolutePath, .dir("/")),
        .init("drive letter alone", .bundleAbsolutePath, .file("C:")),
        .init("drive letter with /", .bundleAbsolutePath, .file("C:/evil")),
        .init("drive-relative lower case", .bundleAbsolutePath, .file("c:evil")),
        // The backslash rule is checked before the drive-letter rule.
        .init("drive letter with backslash", .bundleBackslash, .file("c:\\evil")),
        // Traversal.
        .init("..", .bundlePathTraversal, .file("..")),
        .init("../evil", .bundlePathTraversal, .file("../evil")),
        .init("a/..", .bundlePathTraversal, .dir("a/..")),
        .init("a/../../evil", .bundlePathTraversal, .file("a/../../evil")),
        .init("./..", .bundlePathTraversal, .dir("./..")),
        .init("directory ../", .bundlePathTraversal, .dir("../")),
        // Backslashes.
        .init("backslash separator", .bundleBackslash, .file("a\\b")),
        .init("backslash traversal", .bundleBackslash, .file("..\\evil")),
        // Malformed components.
        .init("a//b", .bundleInvalidPath, .file("a//b")),
        .init("a/./b", .bundleInvalidPath, .file("a/./b")),
        .init("a/.", .bundleInvalidPath, .dir("a/.")),
        .init("a// (two trailing slashes)", .bundleInvalidPath, .dir("a//")),
        .init("file named .", .bundleInvalidPath, .file(".")),
        .init("file named ./", .bundleInvalidPath, .file("./")),
        .init("empty file name", .bundleInvalidPath, .file("")),
        .init("invalid UTF-8 0xFF", .bundleInvalidPath, .file(raw: [0x61, 0xFF, 0x62])),
        .init("overlong UTF-8 for /", .bundleInvalidPath, .file(raw: [0x61, 0xC0, 0xAF, 0x62])),
        .init("UTF-8 surrogate", .bundleInvalidPath, .file(raw: [0x61, 0xED, 0xA0, 0x80])),
        // Control characters.
        .init("NUL", .bundleControlCharacter, .file(raw: [0x61, 0x00, 0x62])),
        .init("0x01", .bundleControlCharacter, .file(raw: [0x61, 0x01, 0x62])),
        .init("newline", .bundleControlCharacter, .file("evil\nname")),
        .init("escape", .bundleControlCharacter, .file("\u{1B}[31mred")),
        .init("0x1F", .bundleControlCharacter, .file(raw: [0x1F])),
        .init("DEL 0x7F", .bundleControlCharacter, .file(raw: [0x61, 0x7F])),
        .init("control character beats invalid UTF-8", .bundleControlCharacter, .file(raw: [0xFF, 0x01])),
        // Lengths.
        .init("256-byte component", .bundleComponentTooLong, .file(run("c", 256))),
        .init("256-byte directory component", .bundleComponentTooLong, .file(run("d", 256) + "/f")),
        .init("1,025-byte path", .bundlePathTooLong, .file(path(components: [204, 204, 204, 204, 205]))),
        // Duplicates and conflicts.
        .init("file twice", .bundleDuplicateEntry, .file("a"), .file("a")),
        .init("file twice, once with ./", .bundleDuplicateEntry, .file("a"), .file("./a")),
        .init("directory twice", .bundleDuplicateEntry, .dir("d"), .dir("d/")),
        .init("directory then file of the same name", .bundleTypeConflict, .dir("d"), .file("d")),
        .init("file then directory of the same name", .bundleTypeConflict, .file("d"), .dir("d")),
        .init("file then a child of it", .bundleTypeConflict, .file("x"), .file("x/y")),
        .init("implicit directory then file", .bundleTypeConflict, .file("a/x"), .file("a")),
        .init("case collision of files", .bundleNameCollision, .file("stack.yaml"), .file("Stack.yaml")),
        .init("case collision of a directory prefix", .bundleNameCollision, .file("A/x"), .file("a/y")),
        .init("case collision of file and directory prefix", .bundleNameCollision, .file("x"), .file("X/y")),
        .init("NFC then NFD", .bundleNameCollision, .file("caf\u{E9}.txt"),
              .file(raw: Array("cafe".utf8) + [0xCC, 0x81] + Array(".txt".utf8))),
        .init("NFD then NFC", .bundleNameCollision,
              .file(raw: Array("cafe".utf8) + [0xCC, 0x81] + Array(".txt".utf8)), .file("caf\u{E9}.txt")),
        .init("NFC/NFD directory prefixes", .bundleNameCollision, .file("caf\u{E9}/a"),
              .file(raw: Array("cafe".utf8) + [0xCC, 0x81] + Array("/b".utf8))),
        // Limits.
        .init("entries over the limit", .bundleTooManyEntries, limits: BundleLimits(maxEntries: 3),
              .file("a"), .file("b"), .file("c"), .file("d")),
        .init("root entries count toward the limit", .bundleTooManyEntries, limits: BundleLimits(maxEntries: 1),
              .dir("./"), .file("a")),
        .init("one file over maxExpandedBytes", .bundleTooLarge, limits: BundleLimits(maxExpandedBytes: 100),
              .file("big", size: 101)),
        .init("files together over maxExpandedBytes", .bundleTooLarge, limits: BundleLimits(maxExpandedBytes: 100),
              .file("a", size: 60), .file("b", size: 41)),
        .init("negative size", .bundleInvalidPath, .file("a", size: -1)),
    ]

    @Test("rejects each violation with its exact code", arguments: rejections)
    func rejects(_ rule: PolicyRejection) throws {
        let error = try #require(rejection(rule.headers, limits: rule.limits), "\(rule.name) was admitted")
        #expect(error.code == rule.expected, "\(rule.name): \(error)")
        #expect(error.exitStatus == .policy)
        // Everything before the last header was fine on its own.
        var policy = EntryPolicy(limits: rule.limits)
        for header in rule.headers.dropLast() { _ = try policy.admit(header) }
    }

    static let acceptances: [PolicyAcceptance] = [
        .init("plain file", [.file("stack.yaml")], ["stack.yaml"]),
        .init("./ prefix", [.file("./stack.yaml")], ["stack.yaml"]),
        .init("repeated ./ prefixes", [.file("././docs/a.md")], ["docs/a.md"]),
        .init("trailing / on a directory", [.dir("docs/")], ["docs"]),
        .init("./ prefix and trailing / on a directory", [.dir("./docs/")], ["docs"]),
        .init(". root entry is skipped", [.dir("."), .file("a")], [nil, "a"]),
        .init("./ root entry is skipped", [.dir("./"), .file("./a")], [nil, "a"]),
        .init("explicit directory after an implicit one", [.file("a/b"), .dir("a")], ["a/b", "a"]),
        .init("explicit directory before its files", [.dir("a"), .file("a/b"), .file("a/c")], ["a", "a/b", "a/c"]),
        .init("siblings share an implicit directory", [.file("a/b/c"), .file("a/b/d")], ["a/b/c", "a/b/d"]),
        .init("255-byte component", [.file(run("c", 255))], [run("c", 255)]),
        .init("1,024-byte path", [.file(path(components: [204, 204, 204, 204, 204]))],
              [path(components: [204, 204, 204, 204, 204])]),
        .init("1,024-byte path after ./", [.file("./" + path(components: [204, 204, 204, 204, 204]))],
              [path(components: [204, 204, 204, 204, 204])]),
        .init("exactly maxEntries", limits: BundleLimits(maxEntries: 3), [.file("a"), .file("b"), .file("c")],
              ["a", "b", "c"]),
        .init("exactly maxExpandedBytes", limits: BundleLimits(maxExpandedBytes: 100),
              [.file("a", size: 60), .file("b", size: 40)], ["a", "b"]),
        .init("directory sizes do not count", limits: BundleLimits(maxExpandedBytes: 10),
              [.init(path: "d", type: .directory, size: 1_000, mode: 0o755)], ["d"]),
        .init("colon after the first component", [.file("a/C:")], ["a/C:"]),
        .init("non-ASCII names", [.file("caf\u{E9}/\u{65E5}\u{672C}.txt")], ["caf\u{E9}/\u{65E5}\u{672C}.txt"]),
        .init("dots inside names", [.file("..a"), .file("a.."), .file(".hidden")], ["..a", "a..", ".hidden"]),
    ]

    @Test("admits valid entries with normalised paths", arguments: acceptances)
    func admits(_ rule: PolicyAcceptance) throws {
        let entries = try admitAll(rule.headers, limits: rule.limits)
        #expect(entries.map { $0?.path } == rule.paths)
    }

    @Test("a file entry keeps its declared size; a directory's is 0")
    func sizes() throws {
        let entries = try admitAll([.file("a", size: 42), .init(path: "d", type: .directory, size: 7, mode: 0o755)])
        #expect(entries == [BundleEntry(path: "a", kind: .file, size: 42, mode: 0o644),
                            BundleEntry(path: "d", kind: .directory, size: 0, mode: 0o755)])
    }

    @Test("an NFD path alone keeps its exact bytes")
    func nfdKept() throws {
        let nfd = Array("cafe".utf8) + [0xCC, 0x81]
        let entry = try #require(try admitAll([.file(raw: nfd)]).first ?? nil)
        #expect(Array(entry.path.utf8) == nfd)
    }

    // MARK: Modes

    static let modes: [(kind: BundleEntry.Kind, declared: UInt32, sanitised: UInt16)] = [
        (.file, 0o644, 0o644),
        (.file, 0o755, 0o755),
        (.file, 0o4755, 0o755),     // setuid
        (.file, 0o2755, 0o755),     // setgid
        (.file, 0o1644, 0o644),     // sticky
        (.file, 0o6777, 0o775),     // everything, world-write stripped
        (.file, 0o666, 0o664),      // world-write stripped, group-write kept
        (.file, 0o000, 0o600),      // owner rw forced
        (.file, 0o400, 0o600),
        (.file, 0o100644, 0o644),   // file-type bits ignored
        (.directory, 0o755, 0o755),
        (.directory, 0o1777, 0o775),
        (.directory, 0o000, 0o700), // owner rwx forced
        (.directory, 0o555, 0o755),
        (.directory, 0o2770, 0o770),
        (.directory, 0o40755, 0o755),
    ]

    @Test("modes are sanitised", arguments: modes)
    func sanitisesModes(_ kind: BundleEntry.Kind, _ declared: UInt32, _ sanitised: UInt16) throws {
        let header = ArchiveEntryHeader(path: "x", type: kind == .file ? .regular : .directory, mode: declared)
        let entry = try #require(try admitAll([header]).first ?? nil)
        #expect(entry.mode == sanitised, "0o\(String(declared, radix: 8)) → 0o\(String(entry.mode, radix: 8))")
        #expect(entry.kind == kind)
    }

    // MARK: Streaming limits

    static let streamLimits = BundleLimits(maxExpandedBytes: 1_000, maxCompressionRatio: 10,
                                           ratioThresholdBytes: 100)

    static let streams: [(expanded: Int64, compressed: Int64, expected: StackError.Code?)] = [
        (50, 1, nil),                           // below the threshold: ratio not enforced
        (100, 1, nil),                          // at the threshold: not yet enforced
        (101, 1, .bundleCompressionRatio),      // above the threshold, ratio 101
        (200, 20, nil),                         // ratio exactly at the limit
        (201, 20, .bundleCompressionRatio),     // ratio just above the limit
        (200, 0, .bundleCompressionRatio),      // nothing consumed yet
        (1_000, 100, nil),                      // at maxExpandedBytes
        (1_001, 1_000, .bundleTooLarge),        // past maxExpandedBytes, harmless ratio
        (1_001, 1, .bundleTooLarge),            // size is checked before the ratio
    ]

    @Test("checkStream enforces the ratio past the threshold and the expanded size",
          arguments: streams)
    func checkStream(_ expanded: Int64, _ compressed: Int64, _ expected: StackError.Code?) {
        let policy = EntryPolicy(limits: Self.streamLimits)
        let error = stackError { try policy.checkStream(expanded: expanded, compressed: compressed, path: "big.bin") }
        #expect(error?.code == expected, "\(expanded)/\(compressed): \(String(describing: error))")
        if let error { #expect(error.message.contains("big.bin")) }
    }

    @Test("checkStream uses the defaults: ratio 100 past 64 MiB")
    func checkStreamDefaults() {
        let policy = EntryPolicy()
        let mib: Int64 = 1 << 20
        #expect(stackError { try policy.checkStream(expanded: 64 * mib, compressed: 1, path: "z") } == nil)
        #expect(stackError { try policy.checkStream(expanded: 100 * mib, compressed: mib, path: "z") } == nil)
        #expect(stackError { try policy.checkStream(expanded: 100 * mib + 1, compressed: mib, path: "z") }?.code
            == .bundleCompressionRatio)
        #expect(stackError { try policy.checkStream(expanded: (2 << 30) + 1, compressed: 1 << 30, path: "z") }?.code
            == .bundleTooLarge)
    }

    // MARK: finish()

    static let finishes: [(name: String, headers: [ArchiveEntryHeader], found: String?)] = [
        ("no entries", [], nil),
        ("only a compose file", [.file("compose.yaml")], nil),
        ("manifest in a subfolder", [.file("x/stack.yaml"), .file("x/compose.yaml")], "x/stack.yaml"),
        ("several nested manifests: the lexically first is named",
         [.file("b/c/stack.yaml"), .file("a/stack.yaml")], "a/stack.yaml"),
        ("manifest with different case", [.file("Stack.yaml")], nil),
        ("stack.yaml is a directory", [.dir("stack.yaml")], nil),
    ]

    @Test("finish() fails without a root stack.yaml and names a nested one",
          arguments: finishes)
    func finishRequiresManifest(_ name: String, _ headers: [ArchiveEntryHeader], _ found: String?) throws {
        var policy = EntryPolicy()
        for header in headers { _ = try policy.admit(header) }
        let error = try #require(stackError { try policy.finish() }, "\(name)")
        #expect(error.code == .bundleManifestMissing)
        #expect(error.exitStatus == .policy)
        #expect(error.message.contains("no stack.yaml at its root"))
        if let found {
            #expect(error.message.contains("found \(found); it must be at the root"), "\(error.message)")
        } else {
            #expect(!error.message.contains("found"), "\(error.message)")
        }
    }

    @Test("finish() passes with a root stack.yaml", arguments: [
        [ArchiveEntryHeader.file("stack.yaml")],
        [.dir("./"), .file("./stack.yaml"), .file("./compose.yaml")],
        [.file("x/stack.yaml"), .file("stack.yaml")],
    ])
    func finishPasses(_ headers: [ArchiveEntryHeader]) throws {
        var policy = EntryPolicy()
        for header in headers { _ = try policy.admit(header) }
        try policy.finish()
    }

    // MARK: Messages

    static let displays: [(raw: [UInt8], shown: String)] = [
        ([0x61, 0x01, 0x62], "'a\\x01b'"),
        ([0x00], "'\\x00'"),
        ([0x61, 0x0A], "'a\\x0A'"),
        ([0x1B, 0x5B], "'\\x1B['"),
        ([0x7F], "'\\x7F'"),
        ([0x61, 0xFF], "'a\u{FFFD}'"),
        (Array("caf\u{E9}".utf8), "'caf\u{E9}'"),
    ]

    @Test("paths in messages have control characters escaped", arguments: displays)
    func display(_ raw: [UInt8], _ shown: String) {
        #expect(EntryPolicy.display(raw) == shown)
        #expect(ArchiveEntryHeader.file(raw: raw).displayPath == shown)
    }

    @Test("a rejected path with a control character is escaped in the message")
    func messageEscapes() throws {
        let error = try #require(rejection([.file(raw: [0x61, 0x01, 0x62])]))
        #expect(error.code == .bundleControlCharacter)
        #expect(error.message.contains("'a\\x01b'"), "\(error.message)")
        #expect(error.message.contains("0x1"))
        #expect(!error.message.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F })
    }

    @Test("a symlink's target is escaped in the message")
    func symlinkTargetEscaped() throws {
        let error = try #require(rejection([.init(path: "l", type: .symlink(target: "\u{1B}]0;x\u{07}"))]))
        #expect(error.code == .bundleSymlink)
        #expect(!error.message.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }, "\(error.message)")
    }

    @Test("messages name the offending entry", arguments: [
        (ArchiveEntryHeader.file("../evil"), "'../evil'"),
        (.file("/etc/passwd"), "'/etc/passwd'"),
        (.init(path: "docs/link", type: .symlink(target: "/etc")), "'docs/link'"),
    ])
    func messageNamesEntry(_ header: ArchiveEntryHeader, _ shown: String) throws {
        let error = try #require(rejection([header]))
        #expect(error.message.contains(shown), "\(error.message)")
    }

    // MARK: Rules applied to the normalised path

    @Test("a drive letter is refused behind a ./ prefix too")
    func driveLetterAfterDotSlash() {
        // "./C:/evil" normalises to "C:/evil", which is refused when written without "./".
        #expect(rejection([.file("C:/evil")])?.code == .bundleAbsolutePath)
        #expect(rejection([.file("./C:/evil")])?.code == .bundleAbsolutePath)
    }

    @Test("C1 control characters are refused like C0 ones", arguments: [
        "a\u{85}b",     // NEXT LINE
        "a\u{9B}31m",   // CONTROL SEQUENCE INTRODUCER
        "\u{80}",
        "\u{9F}",
    ])
    func c1ControlCharacters(_ name: String) {
        #expect(rejection([.file(name)])?.code == .bundleControlCharacter,
                "\(name.unicodeScalars.map { String($0.value, radix: 16) })")
    }

    @Test("huge declared sizes are refused as too large, not by an arithmetic trap")
    func declaredSizeOverflow() async {
        await #expect(processExitsWith: .success) {
            var policy = EntryPolicy()
            _ = try? policy.admit(ArchiveEntryHeader(path: "a", type: .regular, size: 1, mode: 0o644))
            let error = stackError {
                _ = try policy.admit(ArchiveEntryHeader(path: "b", type: .regular, size: .max, mode: 0o644))
            }
            guard error?.code == .bundleTooLarge else { exit(EXIT_FAILURE) }
        }
    }
}
