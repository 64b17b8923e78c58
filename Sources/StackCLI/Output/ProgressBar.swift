import Foundation
import StackCore

/// A one-line progress bar on standard error for long work (hashing, unpacking, creating
/// a bundle): drawn only on a terminal and never with `--json`, at most ten times a second.
/// Each pass over a file (its offset starting again from zero) takes the next label.
final class ProgressBar: Sendable {
    private struct State {
        var labels: [String]
        var pass = 0
        var lastDone: Int64 = -1
        var lastDraw = Date.distantPast
        var drawn = false
    }

    private let console: any Console
    private let state: LockedBox<State>

    /// - Parameters:
    ///   - console: Where to draw.
    ///   - enabled: Whether to draw at all (a terminal, not `--json`).
    ///   - labels: The label of each successive pass (`verifying`, `unpacking`).
    init?(console: any Console, enabled: Bool, labels: [String]) {
        guard enabled, !labels.isEmpty else { return nil }
        self.console = console
        self.state = LockedBox(State(labels: labels))
    }

    /// The observer to hand to the work.
    var observer: ProgressObserver {
        ProgressObserver { [self] done, total in draw(done, total) }
    }

    private func draw(_ done: Int64, _ total: Int64) {
        let line: String? = state.withLock { state in
            if done < state.lastDone { state.pass += 1 }
            state.lastDone = done
            let now = Date()
            guard done == total || now.timeIntervalSince(state.lastDraw) >= 0.1 else { return nil }
            state.lastDraw = now
            state.drawn = true
            let label = state.labels[min(state.pass, state.labels.count - 1)]
            let fraction = total > 0 ? min(1, Double(done) / Double(total)) : 1
            let width = 24
            let filled = Int((fraction * Double(width)).rounded(.down))
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            return "\r\(label.padding(toLength: 12, withPad: " ", startingAt: 0)) [\(bar)] \(Int(fraction * 100))% "
                + "\(Self.megabytes(done))/\(Self.megabytes(total)) MB"
        }
        if let line { console.err(line) }
    }

    /// Clears the bar's line, so that what follows starts on a clean line.
    func finish() {
        let wasDrawn = state.withLock { state -> Bool in
            defer { state.drawn = false }
            return state.drawn
        }
        if wasDrawn { console.err("\r" + String(repeating: " ", count: 72) + "\r") }
    }

    static func megabytes(_ bytes: Int64) -> String {
        String(format: "%.1f", Double(bytes) / 1_048_576)
    }
}
