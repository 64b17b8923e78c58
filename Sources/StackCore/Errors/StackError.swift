import Foundation
/// The process exit status that a failure maps to; part of the CLI contract (DESIGN §7).
public enum ExitStatus: Int32, Sendable, CaseIterable {
    /// Success.
    case ok = 0
    /// Any failure without a more specific status (I/O, state, internal).
    case failure = 1
    /// The command line was malformed.
    case usage = 2
    /// A checksum or signature did not verify.
    case verification = 3
    /// A bundle was rejected by the entry policy, manifest validation or the content scan.
    case policy = 4
    /// The container runtime (Docker) failed or could not be reached.
    case runtime = 5
    /// The user declined (or did not answer) an approval prompt.
    case declined = 6
    /// A request failed authentication.
    case authentication = 7
}

/// The one root error of Stack Desktop.
///
/// Every rejection carries a stable, dotted ``code`` (for scripts and the API), a human
/// ``message`` that says what and where, an optional fix ``hint`` and an optional
/// underlying ``cause``. Module errors map onto it.
public struct StackError: Error, Sendable, CustomStringConvertible, Equatable {
    /// A stable, dotted error code such as `bundle.path_traversal`, with the exit status it
    /// maps to. Codes compare by their string alone.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        /// The dotted string, stable across releases.
        public let rawValue: String
        /// The exit status `stackctl` uses for this code.
        public let exitStatus: ExitStatus

        /// Creates a code.
        /// - Parameters:
        ///   - rawValue: The dotted, stable string (`area.reason`).
        ///   - exitStatus: The exit status the CLI uses for it.
        public init(_ rawValue: String, exit exitStatus: ExitStatus) {
            self.rawValue = rawValue
            self.exitStatus = exitStatus
        }

        public var description: String { rawValue }
        public static func == (lhs: Code, rhs: Code) -> Bool { lhs.rawValue == rhs.rawValue }
        public func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }
    }

    /// The stable code.
    public var code: Code
    /// What went wrong and where, for a person.
    public var message: String
    /// How to fix it, when there is something useful to say.
    public var hint: String?
    /// A description of the underlying error, when one caused this.
    public var cause: String?

    /// Creates an error.
    /// - Parameters:
    ///   - code: The stable code.
    ///   - message: What went wrong and where.
    ///   - hint: An optional fix.
    ///   - cause: An optional underlying error; its description is kept.
    public init(_ code: Code, _ message: String, hint: String? = nil, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.hint = hint
        self.cause = cause.map(StackError.describe)
    }

    /// The exit status of ``code``.
    public var exitStatus: ExitStatus { code.exitStatus }

    public var description: String {
        var text = "\(code): \(message)"
        if let cause { text += " (\(cause))" }
        return text
    }

    public static func == (lhs: StackError, rhs: StackError) -> Bool {
        lhs.code == rhs.code && lhs.message == rhs.message && lhs.hint == rhs.hint
            && lhs.cause == rhs.cause
    }
}

extension StackError {
    /// An error in words a person can act on: a `StackError`'s message, a decoding
    /// error's field path and problem, a Foundation error's localized description. Never
    /// Swift's debug dump of the error value.
    /// - Parameter error: Any error.
    /// - Returns: One line of text.
    public static func describe(_ error: any Error) -> String {
        if let error = error as? StackError { return error.message }
        if let error = error as? DecodingError {
            func path(_ keys: [any CodingKey]) -> String {
                let text = keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
                return text.hasPrefix(".") ? String(text.dropFirst()) : (text.isEmpty ? "(top level)" : text)
            }
            switch error {
            case .typeMismatch(let type, let context):
                return "\(path(context.codingPath)): expected \(describe(type: type))"
            case .valueNotFound(let type, let context):
                return "\(path(context.codingPath)): missing \(describe(type: type))"
            case .keyNotFound(let key, let context):
                return "\(path(context.codingPath + [key])): missing"
            case .dataCorrupted(let context):
                return "\(path(context.codingPath)): not valid here"
            @unknown default:
                return "the document could not be read"
            }
        }
        // Foundation's own errors say it best in their localized description; any other
        // error says it in its description.
        if type(of: error) is NSError.Type { return (error as NSError).localizedDescription }
        return String(describing: error)
    }

    /// A JSON-ish name for a Swift type in a decoding message.
    private static func describe(type: Any.Type) -> String {
        if type is String.Type { return "a string" }
        if type is Bool.Type { return "true or false" }
        if type is Int.Type || type is Int64.Type || type is Int32.Type || type is UInt32.Type || type is UInt16.Type {
            return "a whole number"
        }
        if type is Double.Type || type is Float.Type { return "a number" }
        let name = String(describing: type)
        if name.hasPrefix("Array") { return "a list" }
        if name.hasPrefix("Dictionary") { return "an object" }
        return "a value of another kind"
    }

    /// Wraps any error as a `StackError`, keeping it when it already is one.
    /// - Parameters:
    ///   - error: The error to wrap.
    ///   - code: The code to use when `error` is not a `StackError`.
    /// - Returns: A `StackError`.
    public static func wrap(_ error: any Error, as code: Code = .internalError) -> StackError {
        if let error = error as? StackError { return error }
        return StackError(code, describe(error), cause: nil)
    }
}
