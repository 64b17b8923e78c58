/// Parses Docker-style byte amounts: `512m`, `1g`, `64k`, `1024b`, `1.5gb`, `2GiB`, or a
/// plain number of bytes. Units are binary (k = 1024).
public enum ByteCount {
    /// Parses `text`.
    /// - Parameter text: The amount.
    /// - Returns: Bytes, or `nil` when the text is not an amount or is out of range.
    public static func parse(_ text: String) -> Int64? {
        var body = text.lowercased()
        if body.hasSuffix("ib") { body.removeLast(2) } else if body.hasSuffix("b") { body.removeLast() }
        var multiplier: Double = 1
        if let unit = body.last, unit.isLetter {
            switch unit {
            case "k": multiplier = 1_024
            case "m": multiplier = 1_048_576
            case "g": multiplier = 1_073_741_824
            case "t": multiplier = 1_099_511_627_776
            default: return nil
            }
            body.removeLast()
        }
        guard !body.isEmpty, body.allSatisfy({ $0.isASCIIDigit || $0 == "." }),
              let number = Double(body) else { return nil }
        let value = (number * multiplier).rounded(.down)
        guard value >= 0, value < 9.0e18 else { return nil }
        return Int64(value)
    }
}
