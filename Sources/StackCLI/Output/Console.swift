import Foundation
import StackCore

/// Where the CLI writes: data to standard output, messages to standard error.
public protocol Console: Sendable {
    /// Writes to standard output.
    func out(_ text: String)
    /// Writes to standard error.
    func err(_ text: String)
    /// Whether standard input and error are a terminal (prompts, progress).
    var isInteractive: Bool { get }
    /// Reads one line of the user's answer, without its newline; `nil` at end of input.
    func readLine() -> String?
    /// Whether colour may be used on standard error: a terminal, and `NO_COLOR` unset.
    var allowsColor: Bool { get }
}

extension Console {
    /// Never colour unless the console says so.
    public var allowsColor: Bool { false }
}

/// The process's own standard streams.
public struct StandardConsole: Console {
    public init() {}
    public func out(_ text: String) { FileHandle.standardOutput.write(Data(text.utf8)) }
    public func err(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }
    public var isInteractive: Bool { isatty(0) == 1 && isatty(2) == 1 }
    public func readLine() -> String? { Swift.readLine(strippingNewline: true) }
    /// A terminal on standard error and no `NO_COLOR` (https://no-color.org).
    public var allowsColor: Bool {
        isatty(2) == 1 && (ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty
    }
}

/// A console that records what was written, for tests and embedding.
public final class BufferConsole: Console {
    private let buffers = LockedBox((out: "", err: ""))
    private let answers: LockedBox<[String]>
    /// Whether it plays a terminal (prompts are asked and answered from `answers`).
    public let isInteractive: Bool
    /// - Parameters:
    ///   - interactive: Play a terminal.
    ///   - answers: The lines a user types, in order.
    public init(interactive: Bool = false, answers: [String] = []) {
        self.isInteractive = interactive
        self.answers = LockedBox(answers)
    }
    public func out(_ text: String) { buffers.withLock { $0.out += text } }
    public func err(_ text: String) { buffers.withLock { $0.err += text } }
    public func readLine() -> String? { answers.withLock { $0.isEmpty ? nil : $0.removeFirst() } }
    /// Everything written to standard output.
    public var stdout: String { buffers.withLock { $0.out } }
    /// Everything written to standard error.
    public var stderr: String { buffers.withLock { $0.err } }
}

/// JSON documents as the CLI prints them: sorted keys, ISO-8601 dates, snake_case keys.
enum JSONOutput {
    static func encode(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        encoder.keyEncodingStrategy = .convertToSnakeCase
        guard let data = try? encoder.encode(value) else { return "{}\n" }
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    struct ErrorDocument: Encodable {
        struct Body: Encodable {
            let code: String
            let message: String
            let hint: String?
        }
        let error: Body
    }

    static func error(_ error: StackError) -> String {
        encode(ErrorDocument(error: .init(code: error.code.rawValue, message: error.message, hint: error.hint)))
    }
}
