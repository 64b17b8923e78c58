/// A semantic version (`MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]`, semver.org 2.0.0),
/// ordered by precedence.
public struct SemanticVersion: Sendable, Hashable, Comparable, CustomStringConvertible, Codable {
    public let major: Int
    public let minor: Int
    public let patch: Int
    /// Dot-separated pre-release identifiers (`rc`, `1`), empty for a release.
    public let prerelease: [String]
    /// Dot-separated build metadata; ignored for precedence.
    public let build: [String]

    /// Parses a version.
    /// - Parameter text: Text such as `1.2.0` or `2.0.0-rc.1+abc`.
    /// - Returns: `nil` when the text is not a semantic version.
    public init?(_ text: String) {
        guard !text.isEmpty, text.utf8.count <= 128 else { return nil }
        var rest = Substring(text)
        var build: [String] = []
        if let plus = rest.firstIndex(of: "+") {
            build = rest[rest.index(after: plus)...].split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            rest = rest[..<plus]
            guard build.allSatisfy({ !$0.isEmpty && $0.allSatisfy(Self.isIdentifierCharacter) }) else { return nil }
        }
        var prerelease: [String] = []
        if let dash = rest.firstIndex(of: "-") {
            prerelease = rest[rest.index(after: dash)...].split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            rest = rest[..<dash]
            for id in prerelease {
                guard !id.isEmpty, id.allSatisfy(Self.isIdentifierCharacter) else { return nil }
                if id.allSatisfy(\.isASCIIDigit), id.count > 1, id.hasPrefix("0") { return nil }
            }
        }
        let core = rest.split(separator: ".", omittingEmptySubsequences: false)
        guard core.count == 3 else { return nil }
        var numbers: [Int] = []
        for part in core {
            guard !part.isEmpty, part.count <= 9, part.allSatisfy(\.isASCIIDigit),
                  !(part.count > 1 && part.hasPrefix("0")), let n = Int(part) else { return nil }
            numbers.append(n)
        }
        self.major = numbers[0]
        self.minor = numbers[1]
        self.patch = numbers[2]
        self.prerelease = prerelease
        self.build = build
    }

    private static func isIdentifierCharacter(_ c: Character) -> Bool {
        c.isASCII && (c.isLetter || c.isNumber || c == "-")
    }

    public var description: String {
        var text = "\(major).\(minor).\(patch)"
        if !prerelease.isEmpty { text += "-" + prerelease.joined(separator: ".") }
        if !build.isEmpty { text += "+" + build.joined(separator: ".") }
        return text
    }

    public static func < (lhs: SemanticVersion, rhs: SemanticVersion) -> Bool {
        if lhs.major != rhs.major { return lhs.major < rhs.major }
        if lhs.minor != rhs.minor { return lhs.minor < rhs.minor }
        if lhs.patch != rhs.patch { return lhs.patch < rhs.patch }
        switch (lhs.prerelease.isEmpty, rhs.prerelease.isEmpty) {
        case (true, true): return false
        case (true, false): return false
        case (false, true): return true
        case (false, false): break
        }
        for (a, b) in zip(lhs.prerelease, rhs.prerelease) where a != b {
            // semver §11.4: numeric identifiers (digits only, any length) compare by value
            // and rank below alphanumeric ones, which compare in ASCII order.
            let aNumeric = a.allSatisfy(\.isASCIIDigit)
            let bNumeric = b.allSatisfy(\.isASCIIDigit)
            switch (aNumeric, bNumeric) {
            case (true, true): return a.count != b.count ? a.count < b.count : a < b
            case (true, false): return true
            case (false, true): return false
            case (false, false): return Array(a.utf8).lexicographicallyPrecedes(Array(b.utf8))
            }
        }
        return lhs.prerelease.count < rhs.prerelease.count
    }

    /// Equality by precedence: build metadata is ignored.
    public static func == (lhs: SemanticVersion, rhs: SemanticVersion) -> Bool {
        lhs.major == rhs.major && lhs.minor == rhs.minor && lhs.patch == rhs.patch
            && lhs.prerelease == rhs.prerelease
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(major); hasher.combine(minor); hasher.combine(patch)
        hasher.combine(prerelease)
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let version = SemanticVersion(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "not a semantic version: \(text)"))
        }
        self = version
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
