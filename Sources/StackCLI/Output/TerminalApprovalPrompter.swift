import Foundation
import StackCore

/// Asks on the terminal: prints the summary to standard error and reads `y`/`yes` from
/// standard input. Without a terminal there is no one to ask, which is a decline.
struct TerminalApprovalPrompter: ApprovalPrompter {
    let console: any Console

    func requestApproval(_ request: ApprovalRequest) async throws -> ApprovalDecision {
        guard console.isInteractive else {
            return .declined(reason: "no one to ask (not a terminal)")
        }
        var text = "\nStack Desktop \(request.headline).\nYou are asked because \(request.reason).\n"
        for line in request.summary { text += "  \(line)\n" }
        text += "Run it? [y/N] "
        console.err(text.terminalSafe)
        guard let answer = console.readLine()?.trimmingCharacters(in: .whitespaces).lowercased() else {
            return .declined(reason: "no answer")
        }
        return answer == "y" || answer == "yes" ? .approved : .declined(reason: "declined at the prompt")
    }
}
