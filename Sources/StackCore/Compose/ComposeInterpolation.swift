/// The one compose `${VAR}` interpolation of Stack Desktop (DESIGN §3 step 5, §5).
///
/// It implements the compose-spec grammar (compose-go's `template` package):
/// - `$$` is a literal `$`;
/// - `$NAME` and `${NAME}` (NAME is `[A-Za-z_][A-Za-z0-9_]*`) substitute a value;
/// - `${NAME:-default}` (unset or empty) and `${NAME-default}` (unset) substitute a default;
/// - `${NAME:+alt}` (set and non-empty) and `${NAME+alt}` (set) substitute an alternative;
/// - `${NAME:?message}` (unset or empty) and `${NAME?message}` (unset) are errors;
/// - defaults, alternatives and messages are themselves interpolated, so they may nest
///   (`${A:-${B:-x}}`) and hold `$$`;
/// - a `$` before anything else (`$1`, `$(`, a trailing `$`) is literal; a `${` that holds
///   no valid reference is an error.
///
/// Unlike Compose it resolves **only** from the stack's declared parameters, never from the
/// host environment: naming anything else is a `policy.interpolation` error. Its output is
/// the final text, with no `$` syntax left (a literal `$` stays `$`); whoever writes it
/// back into a compose file must escape it (``escapedForCompose(_:)``).
///
/// Every compose value is interpolated once, by the decoder, before short syntax such as
/// `"${PORT}:80"` is parsed, as Compose does. There is no second interpreter.
public struct ComposeInterpolation: Sendable, Hashable {
    /// The values of the parameters that are set.
    public let values: [String: String]
    /// Every name a compose file may refer to (the declared parameters, set or not).
    public let declared: Set<String>

    /// An interpolation over the given values; every name in `values` is declared.
    /// - Parameters:
    ///   - values: Parameter values that are set.
    ///   - declared: Further declared names that are unset.
    public init(values: [String: String], declared: Set<String> = []) {
        self.values = values
        self.declared = declared.union(values.keys)
    }

    /// An interpolation over a manifest's parameters: each takes the user's value, else its
    /// default; a parameter with neither is declared but unset.
    /// - Parameters:
    ///   - parameters: The manifest's `parameters:`.
    ///   - overrides: Values the user set (`--set K=V`), by name.
    public init(parameters: [Manifest.Parameter], overrides: [String: String] = [:]) {
        var values: [String: String] = [:]
        for parameter in parameters {
            if let value = overrides[parameter.name] ?? parameter.defaultValue { values[parameter.name] = value }
        }
        self.init(values: values, declared: Set(parameters.map(\.name)))
    }

    /// An interpolation that allows no variable at all (a compose file with no parameters).
    public static let none = ComposeInterpolation(values: [:])

    /// Resolves one compose value.
    /// - Parameters:
    ///   - text: The value as written.
    ///   - location: Where it is (`compose.yaml:12:7: services.web.ports[0]`), for messages.
    /// - Returns: The resolved text, with `$$` turned into `$`.
    /// - Throws: `policy.interpolation` for a name that is not a parameter, a malformed
    ///   `${…}`, or a `${NAME:?message}` whose parameter is unset (or empty).
    public func resolve(_ text: String, at location: String) throws -> String {
        guard text.utf8.contains(0x24) else { return text }
        var parser = Parser(scalars: Array(text.unicodeScalars), whole: text, location: location, interpolation: self)
        return try parser.run()
    }

    /// The variable names `text` refers to, nested defaults included, in order of
    /// appearance (for publisher tooling: which parameters a compose file needs).
    /// - Parameter text: A compose value as written.
    /// - Returns: The names; malformed references are skipped.
    public static func references(in text: String) -> [String] {
        guard text.utf8.contains(0x24) else { return [] }
        let recorder = ComposeInterpolation(values: [:])
        var parser = Parser(scalars: Array(text.unicodeScalars), whole: text, location: "", interpolation: recorder)
        parser.recordOnly = true
        _ = try? parser.run()
        return parser.recorded
    }

    /// Escapes a resolved value for a compose file: every `$` becomes `$$`, so Compose
    /// interpolates nothing of it again.
    /// - Parameter resolved: A value returned by ``resolve(_:at:)``.
    /// - Returns: The escaped text.
    public static func escapedForCompose(_ resolved: String) -> String {
        guard resolved.utf8.contains(0x24) else { return resolved }
        var out = ""
        out.reserveCapacity(resolved.utf8.count + 4)
        for scalar in resolved.unicodeScalars {
            if scalar == "$" { out.unicodeScalars.append("$") }
            out.unicodeScalars.append(scalar)
        }
        return out
    }

    /// Whether `name` is a variable name of the grammar.
    public static func isVariableName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, Parser.isNameStart(first) else { return false }
        return name.unicodeScalars.allSatisfy(Parser.isNameBody)
    }

    private struct Parser {
        let scalars: [Unicode.Scalar]
        let whole: String
        let location: String
        let interpolation: ComposeInterpolation
        var recordOnly = false
        var recorded: [String] = []

        init(scalars: [Unicode.Scalar], whole: String, location: String, interpolation: ComposeInterpolation) {
            self.scalars = scalars
            self.whole = whole
            self.location = location
            self.interpolation = interpolation
        }

        static func isNameStart(_ c: Unicode.Scalar) -> Bool {
            c == "_" || (c >= "a" && c <= "z") || (c >= "A" && c <= "Z")
        }

        static func isNameBody(_ c: Unicode.Scalar) -> Bool {
            isNameStart(c) || (c >= "0" && c <= "9")
        }

        mutating func run() throws -> String {
            try substitute(0..<scalars.count)
        }

        func fail(_ why: String, hint: String = "write $$ for a literal $") -> StackError {
            StackError(.policyInterpolation, "\(location): \(why) in '\(whole)'", hint: hint)
        }

        /// Substitutes every reference in `range`.
        mutating func substitute(_ range: Range<Int>) throws -> String {
            var out = String.UnicodeScalarView()
            var i = range.lowerBound
            while i < range.upperBound {
                let c = scalars[i]
                guard c == "$" else { out.append(c); i += 1; continue }
                let next = i + 1
                guard next < range.upperBound else { out.append("$"); i += 1; continue }
                let n = scalars[next]
                if n == "$" {
                    out.append("$")
                    i = next + 1
                } else if Self.isNameStart(n) {
                    var end = next
                    while end < range.upperBound, Self.isNameBody(scalars[end]) { end += 1 }
                    let name = String(String.UnicodeScalarView(scalars[next..<end]))
                    out.append(contentsOf: try value(of: name).unicodeScalars)
                    i = end
                } else if n == "{" {
                    let close = try closingBrace(after: next, limit: range.upperBound)
                    out.append(contentsOf: try braced((next + 1)..<close).unicodeScalars)
                    i = close + 1
                } else {
                    // `$` before anything else is literal, as in Compose.
                    out.append("$")
                    i = next
                }
            }
            return String(out)
        }

        /// The index of the `}` that closes the `{` at `open`, counting nested `${…}`.
        func closingBrace(after open: Int, limit: Int) throws -> Int {
            var depth = 1
            var j = open + 1
            while j < limit {
                let c = scalars[j]
                if c == "$", j + 1 < limit, scalars[j + 1] == "$" {
                    j += 2
                    continue
                }
                if c == "$", j + 1 < limit, scalars[j + 1] == "{" {
                    depth += 1
                    j += 2
                    continue
                }
                if c == "}" {
                    depth -= 1
                    if depth == 0 { return j }
                }
                j += 1
            }
            throw fail("an unterminated ${")
        }

        /// `NAME`, `NAME:-x`, `NAME-x`, `NAME:?x`, `NAME?x`, `NAME:+x`, `NAME+x`.
        mutating func braced(_ body: Range<Int>) throws -> String {
            let text = String(String.UnicodeScalarView(scalars[body]))
            guard body.lowerBound < body.upperBound, Self.isNameStart(scalars[body.lowerBound]) else {
                throw fail("'${\(text)}' is not a valid variable reference")
            }
            var end = body.lowerBound + 1
            while end < body.upperBound, Self.isNameBody(scalars[end]) { end += 1 }
            let name = String(String.UnicodeScalarView(scalars[body.lowerBound..<end]))
            if end == body.upperBound { return try value(of: name) }
            var op = end
            let colon = scalars[op] == ":"
            if colon { op += 1 }
            guard op < body.upperBound, ["-", "?", "+"].contains(scalars[op]) else {
                throw fail("'${\(text)}' is not a valid variable reference")
            }
            let modifier = scalars[op]
            let argument = (op + 1)..<body.upperBound
            try requireDeclared(name)
            let current = interpolation.values[name]
            let isSet = current != nil
            let isEmpty = current?.isEmpty ?? true
            switch modifier {
            case "-":
                // The default is only interpolated when it is used, as in Compose; but every
                // name it mentions must still be a parameter, so check it either way.
                let fallback = try substitute(argument)
                if colon ? isEmpty : !isSet { return fallback }
                return current ?? ""
            case "+":
                let alternative = try substitute(argument)
                if colon ? !isEmpty : isSet { return alternative }
                return ""
            default: // "?"
                let message = try substitute(argument)
                if colon ? isEmpty : !isSet {
                    if recordOnly { return "" }
                    throw StackError(.policyInterpolation,
                                     "\(location): parameter \(name) is required\(message.isEmpty ? "" : ": \(message)")",
                                     hint: "give \(name) a default in stack.yaml")
                }
                return current ?? ""
            }
        }

        mutating func requireDeclared(_ name: String) throws {
            if recordOnly {
                recorded.append(name)
                return
            }
            guard interpolation.declared.contains(name) else {
                throw fail("$\(name) is not a parameter of this stack, and host variables are never read",
                           hint: "declare \(name) under parameters: in stack.yaml (with a default), or write $$\(name) for a literal $\(name)")
            }
        }

        mutating func value(of name: String) throws -> String {
            try requireDeclared(name)
            return interpolation.values[name] ?? ""
        }
    }
}
