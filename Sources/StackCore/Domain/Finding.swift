/// One result of the content scan (DESIGN §3 step 5): a stable code, a severity, where it
/// was found and what it means. Any ``Severity/critical`` finding rejects the bundle.
public struct Finding: Sendable, Hashable, Codable, CustomStringConvertible {
    /// How much a finding matters.
    public enum Severity: String, Sendable, Hashable, Codable, Comparable, CaseIterable {
        /// Rejects the bundle (exit 4).
        case critical
        /// Shown at approval; does not reject.
        case warning
        /// For information.
        case info

        private var rank: Int {
            switch self {
            case .critical: 0
            case .warning: 1
            case .info: 2
            }
        }
        public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
    }

    /// A stable dotted code (`policy.privileged`, `scan.unpinned_image`).
    public var code: String
    public var severity: Severity
    /// What was found, for a person.
    public var message: String
    /// Where: a file, `services.web.volumes[0]`, an entry path.
    public var location: String

    public init(code: String, severity: Severity, message: String, location: String) {
        self.code = code
        self.severity = severity
        self.message = message
        self.location = location
    }

    public var description: String { "\(severity) \(code) at \(location): \(message)" }
}

/// All findings of one scan, most severe first.
public struct ScanReport: Sendable, Hashable, Codable {
    public var findings: [Finding]

    public init(findings: [Finding]) {
        self.findings = findings.sorted {
            ($0.severity, $0.location, $0.code) < ($1.severity, $1.location, $1.code)
        }
    }

    /// The critical findings.
    public var critical: [Finding] { findings.filter { $0.severity == .critical } }

    /// The error that rejects the bundle when any finding is critical: the first critical
    /// finding's code (exit 4), with every critical finding in the message.
    public var rejection: StackError? {
        guard let first = critical.first else { return nil }
        // The error carries the first code; each further finding names its own.
        let list = critical.enumerated().map { index, finding in
            "\(finding.location): \(finding.message)" + (index == 0 ? "" : " [\(finding.code)]")
        }.joined(separator: "; ")
        return StackError(StackError.Code(first.code, exit: .policy),
                          "the bundle was rejected by the content scan: \(list)",
                          hint: "a stack that needs this must be changed by its publisher; `stackctl bundle verify FILE` lists every finding")
    }
}

extension Array where Element == Finding {
    /// The findings grouped by severity and code, one line each, most severe first:
    /// `warning scan.unpinned_image (2): image web:1 is not pinned by digest; its content
    /// can change — at compose.yaml: services.web.image, compose.yaml: services.db.image`.
    /// A two-service stack thus gets one line per kind of finding, not one per place.
    public var groupedLines: [String] {
        var order: [String] = []
        var groups: [String: [Finding]] = [:]
        for finding in sorted(by: { ($0.severity, $0.code, $0.location) < ($1.severity, $1.code, $1.location) }) {
            let key = "\(finding.severity.rawValue) \(finding.code)"
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(finding)
        }
        return order.map { key in
            let group = groups[key] ?? []
            let count = group.count > 1 ? " (\(group.count))" : ""
            let places = group.map(\.location).joined(separator: ", ")
            return "\(key)\(count): \(group.first?.message ?? "")\(group.count > 1 ? " (and alike)" : "") — at \(places)"
        }
    }
}
