

/// The content scan of DESIGN §3 step 5 and §5, as a view over the one rule table that
/// ``StackPlanner`` runs: judges a bundle's manifest, compose model and archive listing
/// against the isolation policy and reports every finding with a stable code (see
/// ``rules`` and ``Code``).
///
/// The scan is pure and lexical: it reads no files and resolves nothing on a host, so it
/// gives the same report for the same input, anywhere. Paths are resolved as Compose would,
/// relative to the compose file's directory inside the bundle.
///
/// Keys the rule table does not know are warnings (`scan.unknown_key`) and are dropped, not rejections:
/// Compose grows keys every release, and denying them all would reject real stacks for
/// cosmetic settings. Every key that can grant privilege or reach the host is named in a
/// rule; the renderer (DESIGN §5) injects the hardening regardless of what the file says.
public struct ComposePolicyScanner: Sendable {
    /// Creates the scanner.
    public init() {}

    /// Scans a bundle.
    /// - Parameters:
    ///   - manifest: The decoded `stack.yaml`.
    ///   - compose: The decoded compose file.
    ///   - entries: The archive's entries.
    ///   - policy: The isolation settings in force.
    /// - Returns: Every finding, most severe first, in a stable order.
    public func scan(manifest: Manifest, compose: ComposeFile, entries: [BundleEntry],
                     policy: IsolationPolicy) -> ScanReport {
        StackPlanner(policy: policy).findings(manifest: manifest, compose: compose, entries: entries)
    }
}

/// One run of the scan: the inputs, derived lookups and the findings so far.
struct ScanPass {
    let manifest: Manifest
    let compose: ComposeFile
    let entries: [BundleEntry]
    let policy: IsolationPolicy
    let tree: BundleTree
    /// The manifest's parameter names: the only variables an environment entry without a
    /// value may name.
    let parameters: Set<String>
    /// The allowlist, normalised (upper case, no `CAP_`).
    let allowedCapabilities: Set<String>
    private(set) var findings: Set<Finding> = []

    init(manifest: Manifest, compose: ComposeFile, entries: [BundleEntry], policy: IsolationPolicy) {
        self.manifest = manifest
        self.compose = compose
        self.entries = entries
        self.policy = policy
        self.tree = BundleTree(entries: entries, composePath: manifest.compose)
        self.parameters = Set(manifest.parameters.map(\.name))
        self.allowedCapabilities = Set(policy.allowedCapabilities.map(Self.normaliseCapability))
    }

    mutating func run() {
        for name in compose.services.keys.sorted() {
            if let service = compose.services[name] { scanService(name, service) }
        }
        scanTopLevel()
        scanHostEnvironment()
        scanPublishedPortCount()
        scanManifest()
        scanEntries()
    }

    func report() -> ScanReport {
        // Sorting by every field first makes the order total, whatever ScanReport's sort does
        // with ties.
        ScanReport(findings: findings.sorted {
            ($0.severity, $0.location, $0.code, $0.message) < ($1.severity, $1.location, $1.code, $1.message)
        })
    }

    // MARK: Recording

    /// `compose.yaml: services.web.volumes[1]`.
    func composeLocation(_ path: String) -> String { "\(manifest.compose): \(path)" }

    /// `stack.yaml: capabilities[0]`.
    func manifestLocation(_ path: String) -> String { "\(Manifest.fileName): \(path)" }

    mutating func critical(_ code: String, _ message: String, at location: String) {
        findings.insert(Finding(code: code, severity: .critical, message: message, location: location))
    }

    mutating func warning(_ code: String, _ message: String, at location: String) {
        findings.insert(Finding(code: code, severity: .warning, message: message, location: location))
    }

    // MARK: Helpers

    /// `CAP_sys_admin` → `SYS_ADMIN`.
    static func normaliseCapability(_ name: String) -> String {
        var upper = name.trimmingSpaces.uppercased()
        if upper.hasPrefix("CAP_") { upper.removeFirst(4) }
        return upper
    }

    /// A path component for a mapping key: plain when it is a simple word, quoted in
    /// brackets otherwise (`labels["com.example.tier"]`), so locations stay unambiguous.
    static func key(_ name: String) -> String {
        let simple = !name.isEmpty && name.unicodeScalars.allSatisfy {
            ($0 >= "a" && $0 <= "z") || ($0 >= "A" && $0 <= "Z") || ($0 >= "0" && $0 <= "9") || $0 == "_" || $0 == "-"
        }
        return simple ? ".\(name)" : "[\"\(name)\"]"
    }

    /// Whether a service of this stack has that name.
    func isService(_ name: String) -> Bool { compose.services[name] != nil }
}

extension String {
    /// The string without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\t" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\t" { s.removeLast() }
        return String(s)
    }
}

extension ConfigValue {
    /// A member of a mapping.
    subscript(_ key: String) -> ConfigValue? { objectValue?[key] }

    /// Whether the value is set to something other than null or `false`.
    var isSet: Bool {
        switch self {
        case .null: false
        case .bool(let b): b
        default: true
        }
    }

    /// A number from an integer, a float or numeric text.
    var numberValue: Double? {
        switch self {
        case .int(let i): Double(i)
        case .double(let d): d
        case .string(let s): Double(s.trimmingSpaces)
        default: nil
        }
    }

    /// An amount of memory from an integer or `512m`-style text.
    var byteValue: Int64? {
        switch self {
        case .int(let i): Int64(i)
        case .string(let s): s.trimmingSpaces == "-1" ? -1 : ByteCount.parse(s.trimmingSpaces)
        default: nil
        }
    }

    /// A list of strings from a string (one item) or a list (its scalar items).
    var stringList: [String] {
        switch self {
        case .array(let items): items.compactMap(\.scalarText)
        default: scalarText.map { [$0] } ?? []
        }
    }
}

extension ScanPass {
    /// An environment entry without a value (`- NAME`) makes Compose copy the host's
    /// variable: only a stack parameter may be named that way.
    mutating func scanHostEnvironment() {
        for name in compose.services.keys.sorted() {
            guard let service = compose.services[name] else { continue }
            for key in service.environment.keys.sorted() {
                guard case .some(.none) = service.environment[key], !parameters.contains(key) else { continue }
                critical(ComposePolicyScanner.Code.interpolation,
                         "environment \(key) has no value, so compose would take it from the host",
                         at: composeLocation("services\(Self.key(name)).environment\(Self.key(key))"))
            }
        }
    }

    /// At most ``IsolationPolicy/maxPublishedPorts`` host ports per stack.
    mutating func scanPublishedPortCount() {
        var total = 0
        for name in compose.services.keys.sorted() {
            guard let service = compose.services[name], service.networkMode == nil || service.networkMode == "bridge" else {
                continue
            }
            total += service.ports.reduce(0) { $0 + ($1.targetEnd - $1.target + 1) }
        }
        if total > policy.maxPublishedPorts {
            critical(ComposePolicyScanner.Code.ports,
                     "the stack publishes \(total) host ports; at most \(policy.maxPublishedPorts) are allowed (each starts a host process outside the stack's limits)",
                     at: composeLocation("services"))
        }
    }
}
