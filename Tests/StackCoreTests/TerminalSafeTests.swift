import StackCore
import Testing

@Suite("terminal-safe text")
struct TerminalSafeTests {
    @Test("characters a terminal acts on are shown as escapes; newlines, tabs and other text stay", arguments: [
        ("plain text, ünïcode ✓", "plain text, ünïcode ✓"),
        ("a\nb\tc", "a\nb\tc"),
        ("\u{1B}[3A\u{1B}[2Kegress: none", "\\x1b[3A\\x1b[2Kegress: none"),
        ("cr\rover", "cr\\x0dover"),
        ("bell\u{07}", "bell\\x07"),
        ("del\u{7F}", "del\\x7f"),
        ("c1\u{9B}31m", "c1\\x9b31m"),
        ("rlo\u{202E}txt.exe", "rlo<U+202E>txt.exe"),
        ("isolate\u{2067}x\u{2069}", "isolate<U+2067>x<U+2069>"),
        ("nul\u{0}", "nul\\x00"),
    ])
    func escapes(_ input: String, _ expected: String) {
        #expect(input.terminalSafe == expected)
        // Nothing a terminal would act on is left, whatever the input.
        #expect(!input.terminalSafe.unicodeScalars.contains {
            ($0.value < 0x20 && $0 != "\n" && $0 != "\t") || $0.value == 0x7F || (0x80...0x9F).contains($0.value)
                || (0x202A...0x202E).contains($0.value) || (0x2066...0x2069).contains($0.value)
        })
    }
}
