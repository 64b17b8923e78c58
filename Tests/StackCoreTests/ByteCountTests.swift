import StackCore
import Testing

@Suite("Byte amounts")
struct ByteCountTests {
    static let valid: [(text: String, bytes: Int64)] = [
        ("0", 0),
        ("1024", 1_024),
        ("10b", 10),
        ("64k", 65_536),
        ("64K", 65_536),
        ("64kb", 65_536),
        ("512m", 536_870_912),
        ("512MB", 536_870_912),
        ("1g", 1_073_741_824),
        ("1.5g", 1_610_612_736),
        ("1.5gb", 1_610_612_736),
        ("2GiB", 2_147_483_648),
        ("1t", 1_099_511_627_776),
        ("0.5k", 512),
        ("1.9", 1),                 // fractions of a byte are dropped
    ]

    @Test("parses amounts", arguments: valid)
    func parses(_ text: String, _ bytes: Int64) {
        #expect(ByteCount.parse(text) == bytes)
    }

    static let invalid = [
        "", "m", "b", "gib", "-1", "-1m", "+1", "1x", "1bb", "1mm", "1 m", " 1", "1e3", ".", "1..5",
        "inf", "nan", "0x10", "10000000000000000000", "9000000000g",
    ]

    @Test("refuses what is not an amount or out of range", arguments: invalid)
    func refuses(_ text: String) {
        #expect(ByteCount.parse(text) == nil, "\(text) → \(String(describing: ByteCount.parse(text)))")
    }
}
