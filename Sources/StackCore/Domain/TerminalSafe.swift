extension String {
    /// The text with every character a terminal would act on instead of show made
    /// visible: C0 controls (but `\n` and `\t`), DEL, C1 controls, and the Unicode bidi
    /// and direction marks that reorder what is shown. `ESC[2K` becomes `\x1b[2K`, U+202E
    /// becomes `<U+202E>`. Every string that comes from a bundle, a request or a container
    /// passes through this before it reaches a terminal, so a stack cannot redraw an
    /// approval prompt ("egress: none") over what it really asks for.
    public var terminalSafe: String {
        guard unicodeScalars.contains(where: Self.needsEscape) else { return self }
        var out = ""
        out.reserveCapacity(utf8.count + 8)
        for scalar in unicodeScalars {
            if Self.needsEscape(scalar) {
                if scalar.value < 0x100 {
                    out += "\\x" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16)
                } else {
                    out += "<U+" + String(scalar.value, radix: 16, uppercase: true) + ">"
                }
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Whether a scalar would be acted on by a terminal or reorder text.
    static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x0A, 0x09: false
        case 0x00...0x1F, 0x7F, 0x80...0x9F: true
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }
}
