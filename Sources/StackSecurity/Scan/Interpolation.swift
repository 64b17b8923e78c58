/// Finds the variables a compose string would interpolate, the way Compose does
/// (compose-go's template syntax): `$$` is a literal dollar, `$NAME` and `${NAME}` name a
/// variable, and the modifier forms `${NAME:-default}`, `${NAME-default}`, `${NAME:?err}`,
/// `${NAME?err}`, `${NAME:+alt}`, `${NAME+alt}` still name `NAME` (their default text is
/// searched too, since it may nest further references). A `$` before anything else (`$1`,
/// `$(`, a trailing `$`) is literal, as in Compose; a `${` that does not hold a valid
/// reference is an error in Compose and reported as malformed here.
enum Interpolation {
    /// One `$` construct in a string.
    enum Reference: Hashable {
        /// A variable reference.
        case variable(String)
        /// A `${…}` that Compose would reject as an invalid template, with its text.
        case malformed(String)
    }

    /// The references in `text`, in order of appearance (nested defaults after their parent).
    /// - Parameter text: A string from the compose model.
    /// - Returns: Every reference; empty when `text` has no unescaped `$`.
    static func references(in text: String) -> [Reference] {
        var result: [Reference] = []
        scan(Array(text.unicodeScalars), into: &result)
        return result
    }

    private static func isNameStart(_ c: Unicode.Scalar) -> Bool {
        c == "_" || (c >= "a" && c <= "z") || (c >= "A" && c <= "Z")
    }

    private static func isNameBody(_ c: Unicode.Scalar) -> Bool {
        isNameStart(c) || (c >= "0" && c <= "9")
    }

    private static func scan(_ s: [Unicode.Scalar], into result: inout [Reference]) {
        var i = 0
        while i < s.count {
            guard s[i] == "$" else { i += 1; continue }
            let next = i + 1
            // A `$` at the end, or before anything but `$`, a name or `{`, is literal
            // (compose-go's pattern does not match it).
            guard next < s.count else { return }
            if s[next] == "$" {
                i = next + 1
            } else if isNameStart(s[next]) {
                var end = next
                while end < s.count, isNameBody(s[end]) { end += 1 }
                result.append(.variable(String(String.UnicodeScalarView(s[next..<end]))))
                i = end
            } else if s[next] == "{" {
                i = braced(s, open: next, into: &result)
            } else {
                i = next
            }
        }
    }

    /// Parses `${…}` whose `{` is at `open`; returns the index after it.
    private static func braced(_ s: [Unicode.Scalar], open: Int, into result: inout [Reference]) -> Int {
        // Find the matching close brace, counting nested `${`.
        var depth = 0
        var close: Int?
        var j = open
        while j < s.count {
            if s[j] == "{" {
                depth += 1
            } else if s[j] == "}" {
                depth -= 1
                if depth == 0 { close = j; break }
            }
            j += 1
        }
        guard let close else {
            result.append(.malformed(String(String.UnicodeScalarView(s[(open - 1)...]))))
            return s.count
        }
        let body = Array(s[(open + 1)..<close])
        let whole = String(String.UnicodeScalarView(s[(open - 1)...close]))
        guard let first = body.first, isNameStart(first) else {
            result.append(.malformed(whole))
            return close + 1
        }
        var end = 1
        while end < body.count, isNameBody(body[end]) { end += 1 }
        let name = String(String.UnicodeScalarView(body[0..<end]))
        var rest = body[end...]
        if rest.isEmpty {
            result.append(.variable(name))
            return close + 1
        }
        if rest.first == ":" { rest = rest.dropFirst() }
        guard let modifier = rest.first, modifier == "-" || modifier == "?" || modifier == "+" else {
            result.append(.malformed(whole))
            return close + 1
        }
        result.append(.variable(name))
        scan(Array(rest.dropFirst()), into: &result)
        return close + 1
    }
}
