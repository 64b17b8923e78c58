import Foundation
import StackCore

/// Asks on the terminal: prints the summary to standard error and reads `y`/`yes` from
/// standard input. Without a terminal there is no one to ask, which is a decline.
struct TerminalApprovalPrompter: ApprovalPrompter {
    let console: any Console

    func requestApproval(_ request: ApprovalRequest) async throws -> ApprovalDecision {
        guard console.isInteractive else {
            return .declined(reason: "no one to ask (not a terminal) and the stack is not trusted")
        }
        var text = "\nStack Desktop wants to run a new stack:\n"
        for line in request.summary { text += "  \(line)\n" }
        if let key = request.publisherKeyID { text += "  signed by publisher key \(key)\n" }
        text += "Run it? [y/N] "
        console.err(text)
        guard let answer = readLine(strippingNewline: true)?.trimmingCharacters(in: .whitespaces).lowercased() else {
            return .declined(reason: "no answer")
        }
        return answer == "y" || answer == "yes" ? .approved : .declined(reason: "declined at the prompt")
    }
}
