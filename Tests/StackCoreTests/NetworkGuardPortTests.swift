import Foundation
import StackCore
import StackTestSupport
import Testing

@Suite("Stack bridge names and the host firewall setting")
struct NetworkGuardPortTests {
    @Test("bridge names are 15 characters, prefixed by egress, stable, and differ between stacks",
          arguments: ["a", "hello-web", "x" + String(repeating: "y", count: 62), "é-unicode-name"])
    func bridgeNames(stack: String) {
        let closed = StackBridgeName.forStack(stack, egress: false)
        let open = StackBridgeName.forStack(stack, egress: true)
        #expect(closed.utf8.count == 15 && open.utf8.count == 15)
        #expect(closed.hasPrefix("sdi") && open.hasPrefix("sde"))
        #expect(closed.dropFirst(3) == open.dropFirst(3))
        #expect(closed.dropFirst(3).allSatisfy { $0.isHexDigit })
        #expect(StackBridgeName.forStack(stack, egress: false) == closed)
        #expect(StackBridgeName.forStack(stack + "2", egress: false) != closed)
    }

    @Test("a thousand stack names give a thousand bridge names")
    func noCollisionsInPractice() {
        let names = Set((0..<1_000).map { StackBridgeName.forStack("stack-\($0)", egress: false) })
        #expect(names.count == 1_000)
    }

    @Test("isolation.hostFirewall defaults to required, accepts off, and refuses anything else with the key")
    func hostFirewallSetting() throws {
        #expect(StackConfig().isolation.hostFirewall == .required)
        let off = try StackConfig.decode(Data(#"{"isolation": {"hostFirewall": "off"}}"#.utf8), source: "test")
        #expect(off.isolation.hostFirewall == .off)
        #expect(off.isolation.maxPids == IsolationPolicy.default.maxPids)
        let error = stackError { _ = try StackConfig.decode(Data(#"{"isolation": {"hostFirewall": "maybe"}}"#.utf8), source: "cfg.json") }
        #expect(error?.code == .configInvalid)
        #expect(error?.message.contains("cfg.json: isolation.hostFirewall") == true, "\(error?.message ?? "")")
    }
}
