import StackCore

extension Docker {
    /// Compose-style `${VAR}` interpolation that resolves **only** from the stack's own
    /// parameters, never from the host environment, and escapes every remaining `$` as
    /// `$$` so that compose cannot interpolate the rendered file again.
    public enum Interpolation {
        /// Resolves `text` and escapes it for a compose file.
        /// - Parameters:
        ///   - text: A string from the bundle's compose file.
        ///   - parameters: The value of every declared parameter (its default, or what the
        ///     user set); a name absent here is not a parameter.
        ///   - location: Where the string is, for messages.
        /// - Returns: The resolved text with literal `$` written as `$$`.
        /// - Throws: `policy.interpolation` for a variable that is not a parameter, or a
        ///   `${VAR:?message}` whose parameter is unset.
        public static func resolve(_ text: String, parameters: [String: String], location: String) throws -> String {
            guard text.contains("$") else { return text }
            let chars = Array(text.unicodeScalars)
            var out = String.UnicodeScalarView()
            var i = 0
            func fail(_ name: String) -> StackError {
                StackError(.policyInterpolation,
                           "\(location): '\(text)' refers to $\(name), which is not a parameter of this stack",
                           hint: "bundles may only use their own parameters; host variables are never read")
            }
            func emitLiteral(_ s: String) {
                for scalar in s.unicodeScalars {
                    if scalar == "$" { out.append("$"); out.append("$") } else { out.append(scalar) }
                }
            }
            while i < chars.count {
                let c = chars[i]
                guard c == "$" else { out.append(c); i += 1; continue }
                let next = i + 1 < chars.count ? chars[i + 1] : nil
                if next == "$" { out.append("$"); out.append("$"); i += 2; continue }
                if next == "{" {
                    guard let close = chars[(i + 2)...].firstIndex(of: "}") else {
                        throw StackError(.policyInterpolation, "\(location): unterminated ${ in '\(text)'")
                    }
                    let body = String(String.UnicodeScalarView(chars[(i + 2)..<close]))
                    let (name, op, argument) = split(body)
                    guard isName(name) else {
                        throw StackError(.policyInterpolation, "\(location): invalid variable '${\(body)}' in '\(text)'")
                    }
                    guard let value = parameters[name] else { throw fail(name) }
                    switch op {
                    case nil, "-"?, "+"?, "?"?:
                        emitLiteral(op == "+" ? argument : value)
                    case ":-"?: emitLiteral(value.isEmpty ? argument : value)
                    case ":+"?: emitLiteral(value.isEmpty ? "" : argument)
                    case ":?"?:
                        guard !value.isEmpty else {
                            throw StackError(.policyInterpolation, "\(location): parameter \(name) is required: \(argument)")
                        }
                        emitLiteral(value)
                    default: throw StackError(.policyInterpolation, "\(location): unsupported '${\(body)}'")
                    }
                    i = close + 1
                    continue
                }
                if let first = next, first == "_" || (first.properties.isAlphabetic && first.isASCII) {
                    var j = i + 1
                    while j < chars.count, chars[j] == "_" || (chars[j].isASCII && (chars[j].properties.isAlphabetic || ("0"..."9").contains(chars[j]))) { j += 1 }
                    let name = String(String.UnicodeScalarView(chars[(i + 1)..<j]))
                    guard let value = parameters[name] else { throw fail(name) }
                    emitLiteral(value)
                    i = j
                    continue
                }
                // A lone `$` (end of string, before a space or digit): literal.
                out.append("$"); out.append("$")
                i += 1
            }
            return String(out)
        }

        static func split(_ body: String) -> (String, String?, String) {
            for op in [":-", ":?", ":+", "-", "?", "+"] {
                if let range = body.range(of: op) {
                    return (String(body[..<range.lowerBound]), op, String(body[range.upperBound...]))
                }
            }
            return (body, nil, "")
        }

        static func isName(_ name: String) -> Bool {
            guard let first = name.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic) else { return false }
            return name.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
        }
    }
}
