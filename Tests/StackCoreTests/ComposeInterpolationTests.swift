import StackCore
import StackTestSupport
import Testing

@Suite("Compose interpolation (compose-spec grammar, parameters only)")
struct ComposeInterpolationTests {
    static let location = "compose.yaml:3:12: services.web.image"

    /// The parameter sets the rows resolve against.
    enum Env: String, Sendable, CustomTestStringConvertible {
        /// No parameter at all (`ComposeInterpolation.none`).
        case noParameters
        /// `A` set to `a`.
        case aSet
        /// `A` set to the empty string.
        case aEmpty
        /// `A` declared but unset.
        case aUnset
        /// `A=a`, `A_B=ab`, `B=b`, `E=""`; `U` and `V` declared but unset.
        case mixed

        var interpolation: ComposeInterpolation {
            switch self {
            case .noParameters: ComposeInterpolation.none
            case .aSet: ComposeInterpolation(values: ["A": "a"])
            case .aEmpty: ComposeInterpolation(values: ["A": ""])
            case .aUnset: ComposeInterpolation(values: [:], declared: ["A"])
            case .mixed: ComposeInterpolation(values: ["A": "a", "A_B": "ab", "B": "b", "E": ""], declared: ["U", "V"])
            }
        }

        var testDescription: String { rawValue }
    }

    /// What resolving a row gives.
    enum Outcome: Sendable {
        /// This exact text.
        case value(String)
        /// A `policy.interpolation` error whose message holds each of these strings.
        case failure(mentioning: [String])

        /// A `policy.interpolation` error, message not checked.
        static let rejected = Outcome.failure(mentioning: [])
    }

    struct Row: Sendable, CustomTestStringConvertible {
        let text: String
        let env: Env
        let outcome: Outcome

        init(_ text: String, in env: Env, _ outcome: Outcome) {
            self.text = text
            self.env = env
            self.outcome = outcome
        }

        init(_ text: String, in env: Env, _ expected: String) {
            self.init(text, in: env, .value(expected))
        }

        var testDescription: String {
            switch outcome {
            case .value(let expected): "\(env): '\(text)' -> '\(expected)'"
            case .failure: "\(env): '\(text)' -> policy.interpolation"
            }
        }
    }

    static func check(_ row: Row) throws {
        let interpolation = row.env.interpolation
        switch row.outcome {
        case .value(let expected):
            #expect(try interpolation.resolve(row.text, at: location) == expected)
        case .failure(let mentions):
            let error = try #require(stackError { _ = try interpolation.resolve(row.text, at: location) })
            #expect(error.code.rawValue == "policy.interpolation")
            #expect(error.code == .policyInterpolation)
            #expect(error.message.hasPrefix(location), "message: \(error.message)")
            for mention in mentions {
                #expect(error.message.contains(mention), "'\(mention)' not in: \(error.message)")
            }
        }
    }

    // MARK: - Literal dollars

    static let literals: [Row] = [
        Row("", in: .noParameters, ""),
        Row("plain text", in: .noParameters, "plain text"),
        Row("$$", in: .noParameters, "$"),
        Row("$$HOME", in: .noParameters, "$HOME"),
        Row("$${HOME}", in: .noParameters, "${HOME}"),
        Row("$$$$", in: .noParameters, "$$"),
        Row("$$$", in: .noParameters, "$$"),
        Row("a$", in: .noParameters, "a$"),
        Row("$", in: .noParameters, "$"),
        Row("$1", in: .noParameters, "$1"),
        Row("$(x)", in: .noParameters, "$(x)"),
        Row("$-", in: .noParameters, "$-"),
        Row("$ {A}", in: .noParameters, "$ {A}"),
        Row("cost: $5.00", in: .noParameters, "cost: $5.00"),
        Row("ü$é", in: .noParameters, "ü$é"),
        Row("{A}", in: .noParameters, "{A}"),
        Row("$$A", in: .mixed, "$A"),
        Row("$$$A", in: .mixed, "$a"),
    ]

    @Test("a $ that starts no reference is literal; $$ is one $", arguments: literals)
    func literal(_ row: Row) throws { try Self.check(row) }

    // MARK: - Plain substitution

    static let substitutions: [Row] = [
        Row("$A", in: .mixed, "a"),
        Row("${A}", in: .mixed, "a"),
        Row("pre${A}post", in: .mixed, "preapost"),
        Row("pre$A", in: .mixed, "prea"),
        Row("$A_B", in: .mixed, "ab"),
        Row("${A}_B", in: .mixed, "a_B"),
        Row("$A-$B", in: .mixed, "a-b"),
        Row("$A.$B", in: .mixed, "a.b"),
        Row("${A}${B}", in: .mixed, "ab"),
        Row("$A$B", in: .mixed, "ab"),
        Row("${A}:80", in: .mixed, "a:80"),
        Row("$U", in: .mixed, ""),
        Row("${U}", in: .mixed, ""),
        Row("[$E]", in: .mixed, "[]"),
        Row("$A", in: .aEmpty, ""),
        Row("$A", in: .aUnset, ""),
    ]

    @Test("$NAME and ${NAME} substitute the parameter's value", arguments: substitutions)
    func substitution(_ row: Row) throws { try Self.check(row) }

    // MARK: - Modifiers in the three states

    static let modifiers: [Row] = [
        // ${A:-d}: default when unset or empty.
        Row("${A:-d}", in: .aSet, "a"),
        Row("${A:-d}", in: .aEmpty, "d"),
        Row("${A:-d}", in: .aUnset, "d"),
        // ${A-d}: default when unset only.
        Row("${A-d}", in: .aSet, "a"),
        Row("${A-d}", in: .aEmpty, ""),
        Row("${A-d}", in: .aUnset, "d"),
        // ${A:+x}: alternative when set and non-empty.
        Row("${A:+x}", in: .aSet, "x"),
        Row("${A:+x}", in: .aEmpty, ""),
        Row("${A:+x}", in: .aUnset, ""),
        // ${A+x}: alternative when set.
        Row("${A+x}", in: .aSet, "x"),
        Row("${A+x}", in: .aEmpty, "x"),
        Row("${A+x}", in: .aUnset, ""),
        // ${A:?msg}: error when unset or empty.
        Row("${A:?msg}", in: .aSet, "a"),
        Row("${A:?msg}", in: .aEmpty, .failure(mentioning: ["A", "msg"])),
        Row("${A:?msg}", in: .aUnset, .failure(mentioning: ["A", "msg"])),
        // ${A?msg}: error when unset only.
        Row("${A?msg}", in: .aSet, "a"),
        Row("${A?msg}", in: .aEmpty, ""),
        Row("${A?msg}", in: .aUnset, .failure(mentioning: ["A", "msg"])),
        // Empty arguments.
        Row("${A:-}", in: .aUnset, ""),
        Row("${A:-}", in: .aSet, "a"),
        Row("${A-}", in: .aUnset, ""),
        Row("${A:+}", in: .aSet, ""),
        Row("${A:?}", in: .aUnset, .failure(mentioning: ["A"])),
        // Arguments that look like operators are plain text.
        Row("${A:--x}", in: .aUnset, "-x"),
        Row("${A--x}", in: .aUnset, "-x"),
        Row("${A:-:-}", in: .aUnset, ":-"),
        Row("${A:-a b c}", in: .aUnset, "a b c"),
        Row("x${A:-d}y", in: .aEmpty, "xdy"),
    ]

    @Test("default, alternative and required modifiers follow set / empty / unset", arguments: modifiers)
    func modifier(_ row: Row) throws { try Self.check(row) }

    @Test("a required parameter's error reads 'parameter NAME is required: message'")
    func requiredMessage() throws {
        let interpolation = Env.aUnset.interpolation
        let error = try #require(stackError { _ = try interpolation.resolve("${A:?set the port}", at: Self.location) })
        #expect(error.code.rawValue == "policy.interpolation")
        #expect(error.message == "\(Self.location): parameter A is required: set the port")
        let hint = try #require(error.hint)
        #expect(hint.contains("give A a default"))
    }

    // MARK: - Nesting

    static let nesting: [Row] = [
        Row("${U:-${B:-x}}", in: .mixed, "b"),
        Row("${U:-${V:-x}}", in: .mixed, "x"),
        Row("${U:-${B}}", in: .mixed, "b"),
        Row("${U:-$B}", in: .mixed, "b"),
        Row("${U:-pre${B}post}", in: .mixed, "prebpost"),
        Row("${U:-${V:-${B}}}", in: .mixed, "b"),
        Row("${A:-${B}}", in: .mixed, "a"),
        Row("${B:+${U:-alt}}", in: .mixed, "alt"),
        Row("${U:+${B}}", in: .mixed, ""),
        Row("${U:-$$}", in: .mixed, "$"),
        Row("${A:-$$}", in: .aUnset, "$"),
        Row("${B:+$$B}", in: .mixed, "$B"),
        Row("${U:-$}", in: .mixed, "$"),
        Row("${U:-$1}", in: .mixed, "$1"),
        // The first } closes the reference; what follows is literal text.
        Row("${U:-z}b}", in: .mixed, "zb}"),
        Row("${A:-a}b}", in: .aUnset, "ab}"),
        // A { not preceded by $ does not nest.
        Row("${U:-{x}}", in: .mixed, "{x}"),
        // The message of :? is interpolated too.
        Row("${U:?need ${B}}", in: .mixed, .failure(mentioning: ["U", "need b"])),
    ]

    @Test("defaults, alternatives and messages are themselves interpolated", arguments: nesting)
    func nested(_ row: Row) throws { try Self.check(row) }

    // MARK: - Errors

    static let errors: [Row] = [
        // Undeclared names: the host environment is never read.
        Row("$HOME", in: .noParameters, .failure(mentioning: ["HOME"])),
        Row("${HOME}", in: .noParameters, .failure(mentioning: ["HOME"])),
        Row("pre $HOME post", in: .noParameters, .failure(mentioning: ["HOME"])),
        Row("$A", in: .noParameters, .failure(mentioning: ["A"])),
        Row("$A_B", in: .aSet, .failure(mentioning: ["A_B"])),
        Row("${HOME:-x}", in: .mixed, .failure(mentioning: ["HOME"])),
        Row("${HOME-x}", in: .mixed, .failure(mentioning: ["HOME"])),
        // Undeclared names inside arguments, even when the argument is not used.
        Row("${A:-${HOME}}", in: .mixed, .failure(mentioning: ["HOME"])),
        Row("${A:-${HOME}}", in: .aSet, .failure(mentioning: ["HOME"])),
        Row("${A-$HOME}", in: .mixed, .failure(mentioning: ["HOME"])),
        Row("${U:+$HOME}", in: .mixed, .failure(mentioning: ["HOME"])),
        Row("${A:?$HOME}", in: .mixed, .failure(mentioning: ["HOME"])),
        // Malformed references.
        Row("${}", in: .mixed, .rejected),
        Row("${1A}", in: .mixed, .rejected),
        Row("${-A}", in: .mixed, .rejected),
        Row("${ A}", in: .mixed, .rejected),
        Row("${A:x}", in: .mixed, .rejected),
        Row("${A:}", in: .mixed, .rejected),
        Row("${A x}", in: .mixed, .rejected),
        Row("${A!}", in: .mixed, .rejected),
        Row("${A:=x}", in: .mixed, .rejected),
        // Unterminated.
        Row("${A", in: .mixed, .failure(mentioning: ["unterminated"])),
        Row("${", in: .mixed, .failure(mentioning: ["unterminated"])),
        Row("${A:-x", in: .mixed, .failure(mentioning: ["unterminated"])),
        Row("${U-${B}", in: .mixed, .failure(mentioning: ["unterminated"])),
        Row("ok $A then ${B", in: .mixed, .failure(mentioning: ["unterminated"])),
    ]

    @Test("undeclared names and malformed ${…} are policy.interpolation", arguments: errors)
    func error(_ row: Row) throws { try Self.check(row) }

    @Test("an undeclared name's message names it, the location and the whole value")
    func undeclaredMessage() throws {
        let error = try #require(stackError { _ = try ComposeInterpolation.none.resolve("x-$HOME-y", at: Self.location) })
        #expect(error.code.rawValue == "policy.interpolation")
        #expect(error.message.hasPrefix("\(Self.location): "))
        #expect(error.message.contains("$HOME"))
        #expect(error.message.contains("'x-$HOME-y'"))
        #expect(error.hint != nil)
    }

    // MARK: - From manifest parameters

    static let parameters: [Manifest.Parameter] = [
        Manifest.Parameter(name: "PORT", type: .int, defaultValue: "8080", required: false, description: "port"),
        Manifest.Parameter(name: "TAG", type: .string, defaultValue: "1.0", required: false, description: nil),
        Manifest.Parameter(name: "TOKEN", type: .secret, defaultValue: nil, required: true, description: "a token"),
        Manifest.Parameter(name: "MODE", type: .string, defaultValue: "fast", required: false, description: nil),
    ]

    static let fromParameters = ComposeInterpolation(
        parameters: parameters, overrides: ["TAG": "2.5", "MODE": "", "STRAY": "z"])

    @Test("parameters: override wins, else default; no default means declared but unset")
    func parameterValues() {
        let interpolation = Self.fromParameters
        #expect(interpolation.values == ["PORT": "8080", "TAG": "2.5", "MODE": ""])
        #expect(interpolation.declared == ["PORT", "TAG", "TOKEN", "MODE"])
    }

    static let parameterRows: [(text: String, outcome: Outcome)] = [
        ("${PORT}:80", .value("8080:80")),
        ("app:$TAG", .value("app:2.5")),
        ("${TOKEN-d}", .value("d")),
        ("${TOKEN:-d}", .value("d")),
        ("[$TOKEN]", .value("[]")),
        ("${TOKEN+x}", .value("")),
        ("${TOKEN?missing}", .failure(mentioning: ["TOKEN", "missing"])),
        ("${MODE:-slow}", .value("slow")),
        ("${MODE-slow}", .value("")),
        ("${MODE+set}", .value("set")),
        ("$STRAY", .failure(mentioning: ["STRAY"])),
    ]

    @Test("resolves against manifest parameters", arguments: parameterRows)
    func resolvesParameters(_ text: String, _ outcome: Outcome) throws {
        let interpolation = Self.fromParameters
        switch outcome {
        case .value(let expected):
            #expect(try interpolation.resolve(text, at: Self.location) == expected)
        case .failure(let mentions):
            let error = try #require(stackError { _ = try interpolation.resolve(text, at: Self.location) })
            #expect(error.code.rawValue == "policy.interpolation")
            for mention in mentions { #expect(error.message.contains(mention), "\(error.message)") }
        }
    }

    @Test("no parameters and no overrides is the same as .none")
    func emptyParameters() {
        #expect(ComposeInterpolation(parameters: []) == ComposeInterpolation.none)
        #expect(ComposeInterpolation.none.values.isEmpty)
        #expect(ComposeInterpolation.none.declared.isEmpty)
    }

    @Test("every set value is declared")
    func valuesAreDeclared() {
        let interpolation = ComposeInterpolation(values: ["A": "1"], declared: ["B"])
        #expect(interpolation.declared == ["A", "B"])
    }

    // MARK: - References

    static let referenceRows: [(text: String, names: [String])] = [
        ("${A:-${B}} $C $$D", ["A", "B", "C"]),
        ("no dollar", []),
        ("$$A $$$$", []),
        ("$1 $(x) a$", []),
        ("${X}:${Y:-80}", ["X", "Y"]),
        ("${A:?msg} ${B+${C}}", ["A", "B", "C"]),
        ("$B ${1A}", ["B"]),
        ("${A", []),
    ]

    @Test("references lists the names a value refers to, nested ones included", arguments: referenceRows)
    func references(_ text: String, _ names: [String]) {
        #expect(ComposeInterpolation.references(in: text) == names)
    }

    // MARK: - Escaping

    @Test("escapedForCompose doubles every $")
    func escapes() {
        #expect(ComposeInterpolation.escapedForCompose("a$b$$") == "a$$b$$$$")
        #expect(ComposeInterpolation.escapedForCompose("$") == "$$")
        #expect(ComposeInterpolation.escapedForCompose("") == "")
        #expect(ComposeInterpolation.escapedForCompose("no dollar") == "no dollar")
        #expect(ComposeInterpolation.escapedForCompose("${X}") == "$${X}")
    }

    static let roundTrips = [
        "", "plain", "$", "$$", "$$$", "a$b$$", "${X}", "$X", "$HOME", "${A:-${B}}", "${A",
        "${}", "cost: $5.00", "$1 $(x) $-", "trailing $", "ü$é", "{$}",
    ]

    @Test("resolving an escaped value gives it back", arguments: roundTrips)
    func roundTrip(_ text: String) throws {
        let escaped = ComposeInterpolation.escapedForCompose(text)
        #expect(try ComposeInterpolation.none.resolve(escaped, at: Self.location) == text)
        #expect(try Env.mixed.interpolation.resolve(escaped, at: Self.location) == text)
        #expect(ComposeInterpolation.references(in: escaped).isEmpty)
    }

    // MARK: - Names

    static let names: [(name: String, valid: Bool)] = [
        ("A", true), ("a", true), ("_", true), ("_A_B9", true), ("HOME", true), ("a1", true),
        ("A_B", true), ("abcDEF_123", true),
        ("", false), ("1A", false), ("9", false), ("A-B", false), ("A B", false), (" A", false),
        ("A.B", false), ("$A", false), ("-", false), ("é", false), ("Aé", false), ("A$", false),
    ]

    @Test("isVariableName is [A-Za-z_][A-Za-z0-9_]*", arguments: names)
    func variableName(_ name: String, _ valid: Bool) {
        #expect(ComposeInterpolation.isVariableName(name) == valid)
    }
}
