import Foundation
import StackCore
import Testing

@Suite("Semantic versions (semver.org 2.0.0)")
struct SemanticVersionTests {
    static let valid: [(text: String, core: [Int], prerelease: [String], build: [String])] = [
        ("0.0.0", [0, 0, 0], [], []),
        ("1.2.3", [1, 2, 3], [], []),
        ("10.20.30", [10, 20, 30], [], []),
        ("999999999.0.0", [999_999_999, 0, 0], [], []),
        ("1.0.0-alpha", [1, 0, 0], ["alpha"], []),
        ("1.0.0-alpha.1", [1, 0, 0], ["alpha", "1"], []),
        ("1.0.0-0.3.7", [1, 0, 0], ["0", "3", "7"], []),
        ("1.0.0-x.7.z.92", [1, 0, 0], ["x", "7", "z", "92"], []),
        ("1.0.0-x-y-z.--", [1, 0, 0], ["x-y-z", "--"], []),
        ("1.0.0-0a", [1, 0, 0], ["0a"], []),              // leading zero allowed when alphanumeric
        ("1.0.0+20130313144700", [1, 0, 0], [], ["20130313144700"]),
        ("1.0.0+001", [1, 0, 0], [], ["001"]),            // build identifiers may have leading zeros
        ("1.0.0-beta+exp.sha.5114f85", [1, 0, 0], ["beta"], ["exp", "sha", "5114f85"]),
        ("1.0.0+build-1", [1, 0, 0], [], ["build-1"]),
        ("2.0.0-rc.1+build.1-x", [2, 0, 0], ["rc", "1"], ["build", "1-x"]),
    ]

    @Test("parses valid versions and prints them back", arguments: valid)
    func parsesValid(_ text: String, _ core: [Int], _ prerelease: [String], _ build: [String]) throws {
        let version = try #require(SemanticVersion(text))
        #expect([version.major, version.minor, version.patch] == core)
        #expect(version.prerelease == prerelease)
        #expect(version.build == build)
        #expect(version.description == text)
    }

    static let invalid = [
        "", "1", "1.2", "1.2.3.4", "1..3", ".1.2", "1.2.",
        "01.2.3", "1.02.3", "1.2.03", "00.0.0",                 // leading zeros in the core
        "1.2.3-", "1.2.3-.a", "1.2.3-a.", "1.2.3-a..b",          // empty pre-release identifiers
        "1.2.3-01", "1.2.3-rc.00",                               // leading zeros in numeric pre-release
        "1.2.3+", "1.2.3+a..b", "1.2.3+.a", "1.2.3-a+",          // empty build identifiers
        "1.2.3-a+b+c", "1.2.3-a_b", "1.2.3+a_b", "1.2.3-é", "1.2.3+é",
        "v1.2.3", " 1.2.3", "1.2.3 ", "-1.2.3", "1.-2.3", "+1.2.3", "a.b.c", "1.2.x",
        "\u{FF11}.2.3",                                          // full-width digit
        "1.2.3-" + String(repeating: "a", count: 130),           // over 128 bytes
    ]

    @Test("refuses invalid versions", arguments: invalid)
    func refusesInvalid(_ text: String) {
        #expect(SemanticVersion(text) == nil, "\(text) parsed")
    }

    /// The precedence example of semver.org §11, extended with core increments.
    static let chain = [
        "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
        "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.1.0", "1.10.0", "2.0.0", "10.0.0",
    ]

    @Test("orders by precedence (semver.org §11)")
    func ordersChain() throws {
        let versions = try Self.chain.map { try #require(SemanticVersion($0)) }
        for i in versions.indices {
            for j in versions.indices {
                #expect((versions[i] < versions[j]) == (i < j), "\(versions[i]) < \(versions[j])")
                #expect((versions[i] == versions[j]) == (i == j), "\(versions[i]) == \(versions[j])")
            }
        }
        #expect(versions.reversed().sorted() == versions)
    }

    @Test("numeric identifiers rank below alphanumeric ones, including ones that start with -",
          arguments: [("1.0.0-1", "1.0.0--1"), ("1.0.0-alpha.9", "1.0.0-alpha.-1"), ("1.0.0-2", "1.0.0-a")])
    func numericBelowAlphanumeric(_ lower: String, _ higher: String) throws {
        let a = try #require(SemanticVersion(lower))
        let b = try #require(SemanticVersion(higher))
        #expect(a < b, "\(a) < \(b)")
        #expect(!(b < a), "\(b) < \(a)")
    }

    @Test("numeric identifiers compare numerically, however many digits they have", arguments: [
        ("1.0.0-9", "1.0.0-10"),
        ("1.0.0-99999999999999999999", "1.0.0-100000000000000000000"),  // past Int64
        ("1.0.0-rc.9223372036854775807", "1.0.0-rc.9223372036854775808"),
    ])
    func numericByValue(_ lower: String, _ higher: String) throws {
        let a = try #require(SemanticVersion(lower))
        let b = try #require(SemanticVersion(higher))
        #expect(a < b, "\(a) < \(b)")
        #expect(!(b < a), "\(b) < \(a)")
    }

    @Test("build metadata is ignored for equality, hashing and order", arguments: [
        ("1.0.0+a", "1.0.0+b"),
        ("1.0.0", "1.0.0+build.7"),
        ("1.0.0-rc.1+x", "1.0.0-rc.1"),
    ])
    func buildIgnored(_ lhs: String, _ rhs: String) throws {
        let a = try #require(SemanticVersion(lhs))
        let b = try #require(SemanticVersion(rhs))
        #expect(a == b)
        #expect(!(a < b) && !(b < a))
        #expect(Set([a, b]).count == 1)
        #expect(a.build != b.build)
    }

    @Test("pre-release versions differ from the release", arguments: [("1.0.0-rc.1", "1.0.0"), ("1.0.0-a", "1.0.0-a.0")])
    func prereleaseDiffers(_ lhs: String, _ rhs: String) throws {
        let a = try #require(SemanticVersion(lhs))
        let b = try #require(SemanticVersion(rhs))
        #expect(a != b)
        #expect(a < b)
    }

    @Test("encodes as a JSON string and decodes back, build metadata included")
    func codableRoundTrip() throws {
        let versions = try ["1.2.3", "1.2.3-rc.1+b.7", "0.0.1-alpha"].map { try #require(SemanticVersion($0)) }
        let data = try JSONEncoder().encode(versions)
        #expect(String(decoding: data, as: UTF8.self) == #"["1.2.3","1.2.3-rc.1+b.7","0.0.1-alpha"]"#)
        let decoded = try JSONDecoder().decode([SemanticVersion].self, from: data)
        #expect(decoded == versions)
        #expect(decoded.map(\.description) == versions.map(\.description))
    }

    @Test("decoding refuses what is not a semantic version", arguments: [
        #"["1.2"]"#, #"["01.2.3"]"#, #"[""]"#, #"[123]"#, #"[null]"#, #"[{"major":1}]"#,
    ])
    func decodeFailure(_ json: String) {
        #expect(throws: DecodingError.self) {
            _ = try JSONDecoder().decode([SemanticVersion].self, from: Data(json.utf8))
        }
    }
}
