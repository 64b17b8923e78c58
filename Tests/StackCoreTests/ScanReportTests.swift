import Foundation
import StackCore
import Testing

@Suite("Scan report")
struct ScanReportTests {
    static let info = Finding(code: "scan.readme", severity: .info, message: "has a README", location: "README.md")
    static let warning = Finding(code: "scan.unpinned_image", severity: .warning, message: "image is not pinned",
                                 location: "services.web.image")
    static let privileged = Finding(code: "policy.privileged", severity: .critical, message: "privileged: true",
                                    location: "services.web.privileged")
    static let hostNetwork = Finding(code: "policy.host_network", severity: .critical, message: "network_mode: host",
                                     location: "services.db.network_mode")

    @Test("severities order critical, warning, info")
    func severityOrder() {
        #expect(Finding.Severity.allCases.sorted() == [.critical, .warning, .info])
        #expect(Finding.Severity.critical < .warning && Finding.Severity.warning < .info)
    }

    @Test("findings are sorted most severe first, then by location and code, whatever the input order",
          arguments: [
            [info, warning, privileged, hostNetwork],
            [hostNetwork, privileged, warning, info],
            [warning, hostNetwork, info, privileged],
          ])
    func sorts(_ findings: [Finding]) {
        let report = ScanReport(findings: findings)
        #expect(report.findings == [Self.hostNetwork, Self.privileged, Self.warning, Self.info])
        #expect(report.critical == [Self.hostNetwork, Self.privileged])
    }

    @Test("findings at the same location sort by code")
    func sortsByCode() {
        let b = Finding(code: "policy.b", severity: .critical, message: "b", location: "x")
        let a = Finding(code: "policy.a", severity: .critical, message: "a", location: "x")
        #expect(ScanReport(findings: [b, a]).findings == [a, b])
    }

    @Test("no rejection without a critical finding", arguments: [[], [info], [warning, info]] as [[Finding]])
    func noRejection(_ findings: [Finding]) {
        #expect(ScanReport(findings: findings).rejection == nil)
    }

    @Test("the rejection carries the first critical code, exit 4, and lists every critical finding")
    func rejection() throws {
        let report = ScanReport(findings: [Self.info, Self.privileged, Self.warning, Self.hostNetwork])
        let error = try #require(report.rejection)
        #expect(error.code.rawValue == "policy.host_network")
        #expect(error.code == StackError.Code("policy.host_network", exit: .policy))
        #expect(error.exitStatus == .policy)
        // The first finding's code is the error's own (printed beside it), so it is not repeated.
        #expect(error.message.contains("services.db.network_mode: network_mode: host;"))
        #expect(!error.message.contains("[policy.host_network]"))
        #expect(error.message.contains("services.web.privileged: privileged: true [policy.privileged]"))
        #expect(!error.message.contains(Self.warning.message))
        #expect(!error.message.contains(Self.info.message))
        #expect(error.hint != nil)
    }

    @Test("a report round-trips through JSON")
    func codable() throws {
        let report = ScanReport(findings: [Self.info, Self.privileged])
        let decoded = try JSONDecoder().decode(ScanReport.self, from: JSONEncoder().encode(report))
        #expect(decoded == report)
    }

    @Test("a finding describes itself with severity, code and location")
    func findingDescription() {
        #expect(Self.privileged.description == "critical policy.privileged at services.web.privileged: privileged: true")
    }
}
