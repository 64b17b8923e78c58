/// Limits applied while a bundle is streamed (DESIGN §4.2). All are checked before the
/// entry or block they concern is written.
public struct BundleLimits: Sendable, Hashable, Codable {
    /// Most entries an archive may hold.
    public var maxEntries: Int
    /// Most bytes all files may expand to.
    public var maxExpandedBytes: Int64
    /// Largest expanded/compressed ratio, enforced once ``ratioThresholdBytes`` have expanded.
    public var maxCompressionRatio: Double
    /// Expanded size from which the ratio is enforced.
    public var ratioThresholdBytes: Int64
    /// Longest path component, in UTF-8 bytes.
    public var maxComponentBytes: Int
    /// Longest path, in UTF-8 bytes.
    public var maxPathBytes: Int

    /// The defaults of DESIGN §4.2: 20,000 entries, 2 GiB, ratio 100 past 64 MiB, 255/1,024.
    public static let `default` = BundleLimits()

    public init(maxEntries: Int = 20_000, maxExpandedBytes: Int64 = 2 << 30,
                maxCompressionRatio: Double = 100, ratioThresholdBytes: Int64 = 64 << 20,
                maxComponentBytes: Int = 255, maxPathBytes: Int = 1_024) {
        self.maxEntries = maxEntries
        self.maxExpandedBytes = maxExpandedBytes
        self.maxCompressionRatio = maxCompressionRatio
        self.ratioThresholdBytes = ratioThresholdBytes
        self.maxComponentBytes = maxComponentBytes
        self.maxPathBytes = maxPathBytes
    }
}
