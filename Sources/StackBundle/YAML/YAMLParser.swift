internal import CYAML
import StackCore

extension StackError.Code {
    /// The YAML input is larger than the parser accepts, or holds more nodes than it
    /// allows without any alias being involved.
    public static let yamlTooLarge = Self("yaml.too_large", exit: .policy)
}

/// Parses YAML text into a ``YAMLNode`` tree with libyaml's event parser.
///
/// The tree builder, not libyaml, expands aliases and applies merge keys (`<<`), and it
/// enforces the ``Limits``: input size, nesting depth and the total number of nodes after
/// expansion (accounted per anchored subtree, so a billion-laughs document fails before
/// anything is expanded). Exactly one document is accepted; mapping keys must be unique
/// scalars.
public struct YAMLParser: Sendable {
    /// The parser's resource limits.
    public struct Limits: Sendable, Hashable {
        /// The largest input accepted, in bytes (default 1 MiB).
        public var maxInputBytes: Int
        /// The most nodes the document may hold once aliases are expanded (default 100,000).
        public var maxNodes: Int
        /// The deepest nesting of sequences and mappings (default 64).
        public var maxDepth: Int
        /// The most scalar bytes the document may hold once aliases are expanded
        /// (default 16 MiB), so that a few aliases of a large string cannot explode.
        public var maxExpandedScalarBytes: Int

        /// Creates limits.
        /// - Parameters:
        ///   - maxInputBytes: The largest input, in bytes.
        ///   - maxNodes: The most nodes after alias expansion.
        ///   - maxDepth: The deepest nesting of collections.
        ///   - maxExpandedScalarBytes: The most scalar bytes after alias expansion.
        public init(maxInputBytes: Int = 1 << 20, maxNodes: Int = 100_000, maxDepth: Int = 64,
                    maxExpandedScalarBytes: Int = 16 << 20) {
            self.maxInputBytes = maxInputBytes
            self.maxNodes = maxNodes
            self.maxDepth = maxDepth
            self.maxExpandedScalarBytes = maxExpandedScalarBytes
        }
    }

    /// The limits this parser enforces.
    public var limits: Limits

    /// Creates a parser.
    /// - Parameter limits: The resource limits; the defaults suit `stack.yaml` and compose
    ///   files.
    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Parses one YAML document.
    /// - Parameters:
    ///   - bytes: The document's bytes (UTF-8, or UTF-16 with a byte-order mark).
    ///   - path: The file name, used in every mark and message (`path:line:column`).
    /// - Returns: The document's root node.
    /// - Throws: `StackError` with code `yaml.syntax` (malformed YAML, tab indentation, no
    ///   document), `yaml.unsupported` (several documents, an undefined alias, a non-scalar
    ///   key, an unsupported tag, a bad merge), `yaml.duplicate_key`, `yaml.alias_limit`,
    ///   `yaml.too_deep` or `yaml.too_large`.
    public func parse(_ bytes: [UInt8], path: String) throws -> YAMLNode {
        guard bytes.count <= limits.maxInputBytes else {
            throw StackError(.yamlTooLarge,
                             "\(path):1:1: the file is \(bytes.count) bytes; at most \(limits.maxInputBytes) are accepted")
        }
        let reader = try LibYAMLEventReader(bytes: bytes, file: path)
        defer { reader.close() }
        var builder = YAMLTreeBuilder(limits: limits, file: path)
        guard case .streamStart = try reader.next() else {
            throw StackError(.yamlSyntax, "\(path):1:1: the YAML stream does not start")
        }
        var root: YAMLNode?
        while true {
            switch try reader.next() {
            case .streamEnd:
                guard let root else {
                    throw StackError(.yamlSyntax, "\(path):1:1: the file holds no YAML document")
                }
                return root
            case .documentStart(let mark):
                guard root == nil else {
                    throw StackError(.yamlUnsupported,
                                     "\(mark): a second YAML document starts here; exactly one is accepted")
                }
                root = try builder.buildDocument(from: reader)
            default:
                throw StackError(.yamlSyntax, "\(path):1:1: unexpected YAML event outside a document")
            }
        }
    }

    /// Parses one YAML document from text.
    /// - Parameters:
    ///   - text: The document.
    ///   - path: The file name, for marks and messages.
    /// - Returns: The document's root node.
    /// - Throws: The same errors as parsing the text's UTF-8 bytes.
    public func parse(_ text: String, path: String) throws -> YAMLNode {
        try parse(Array(text.utf8), path: path)
    }
}

/// Builds the node tree from events: expands aliases within the limits, applies merge
/// keys, rejects duplicate and non-scalar keys and unsupported tags.
struct YAMLTreeBuilder {
    private struct Anchored {
        var node: YAMLNode
        var size: Int
        var bytes: Int
        var height: Int
    }

    private struct Frame {
        var isMapping: Bool
        var tag: String?
        var anchor: String?
        var mark: YAMLNode.Mark
        var children: [YAMLNode] = []
        /// Expanded nodes in this subtree, itself included.
        var size = 1
        /// Expanded scalar bytes in this subtree.
        var bytes = 0
        /// Nesting height of this subtree (a scalar is 0).
        var height = 1
    }

    let limits: YAMLParser.Limits
    let file: String
    private var anchors: [String: Anchored] = [:]
    private var stack: [Frame] = []
    private var totalNodes = 0
    private var totalBytes = 0
    private var expandedAliases = false

    init(limits: YAMLParser.Limits, file: String) {
        self.limits = limits
        self.file = file
    }

    /// Consumes the events of one document, up to and including its end.
    mutating func buildDocument(from reader: LibYAMLEventReader) throws -> YAMLNode {
        var root: YAMLNode?
        while true {
            let event = try reader.next()
            switch event {
            case .documentEnd:
                guard let root, stack.isEmpty else {
                    throw StackError(.yamlSyntax, "\(file):1:1: the YAML document ends early")
                }
                return root
            case .scalar(let text, let style, let tag, let anchor, let mark):
                try count(nodes: 1, bytes: text.utf8.count, at: mark)
                if let tag, !YAMLNode.CoreTag.scalarTags.contains(tag) { throw unsupportedTag(tag, at: mark) }
                let node = YAMLNode(.scalar(text, style: style, tag: tag), mark: mark)
                _ = try node.resolvedScalar()
                if let anchor { anchors[anchor] = Anchored(node: node, size: 1, bytes: text.utf8.count, height: 0) }
                root = try add(node, size: 1, bytes: text.utf8.count, height: 0) ?? root
            case .alias(let anchor, let mark):
                guard let target = anchors[anchor] else {
                    throw StackError(.yamlUnsupported,
                                     "\(mark): the alias *\(anchor) names no anchor defined before it")
                }
                expandedAliases = true
                guard stack.count + target.height <= limits.maxDepth else {
                    throw StackError(.yamlTooDeep,
                                     "\(mark): the alias *\(anchor) nests deeper than \(limits.maxDepth) levels")
                }
                try count(nodes: target.size, bytes: target.bytes, at: mark)
                // The expansion is marked at the alias; its descendants keep their own marks.
                var node = target.node
                node.mark = mark
                root = try add(node, size: target.size, bytes: target.bytes, height: target.height) ?? root
            case .sequenceStart(let tag, let anchor, let mark), .mappingStart(let tag, let anchor, let mark):
                let isMapping: Bool
                if case .mappingStart = event { isMapping = true } else { isMapping = false }
                guard stack.count < limits.maxDepth else {
                    throw StackError(.yamlTooDeep, "\(mark): the document nests deeper than \(limits.maxDepth) levels")
                }
                if let tag, tag != YAMLNode.CoreTag.nonSpecific,
                   tag != (isMapping ? YAMLNode.CoreTag.map : YAMLNode.CoreTag.seq) {
                    throw unsupportedTag(tag, at: mark)
                }
                try count(nodes: 1, bytes: 0, at: mark)
                stack.append(Frame(isMapping: isMapping, tag: tag, anchor: anchor, mark: mark))
            case .sequenceEnd, .mappingEnd:
                guard let frame = stack.popLast() else {
                    throw StackError(.yamlSyntax, "\(file):1:1: unbalanced YAML collection events")
                }
                let node = frame.isMapping
                    ? YAMLNode(.mapping(try mergedPairs(frame.children)), mark: frame.mark)
                    : YAMLNode(.sequence(frame.children), mark: frame.mark)
                if let anchor = frame.anchor {
                    anchors[anchor] = Anchored(node: node, size: frame.size, bytes: frame.bytes, height: frame.height)
                }
                root = try add(node, size: frame.size, bytes: frame.bytes, height: frame.height) ?? root
            case .streamStart, .streamEnd, .documentStart:
                throw StackError(.yamlSyntax, "\(file):1:1: unexpected YAML event inside a document")
            }
        }
    }

    /// Appends a finished node to the open collection; returns it when it is the root.
    private mutating func add(_ node: YAMLNode, size: Int, bytes: Int, height: Int) throws -> YAMLNode? {
        guard !stack.isEmpty else { return node }
        let last = stack.count - 1
        stack[last].children.append(node)
        stack[last].size += size
        stack[last].bytes += bytes
        stack[last].height = max(stack[last].height, height + 1)
        return nil
    }

    private mutating func count(nodes: Int, bytes: Int, at mark: YAMLNode.Mark) throws {
        totalNodes += nodes
        totalBytes += bytes
        if totalNodes > limits.maxNodes {
            if expandedAliases {
                throw StackError(.yamlAliasLimit,
                                 "\(mark): aliases expand the document past \(limits.maxNodes) nodes",
                                 hint: "a document whose aliases multiply (billion laughs) is refused")
            }
            throw StackError(.yamlTooLarge, "\(mark): the document holds more than \(limits.maxNodes) nodes")
        }
        if totalBytes > limits.maxExpandedScalarBytes {
            throw StackError(expandedAliases ? .yamlAliasLimit : .yamlTooLarge,
                             "\(mark): aliases expand the document past \(limits.maxExpandedScalarBytes) bytes of text")
        }
    }

    private func unsupportedTag(_ tag: String, at mark: YAMLNode.Mark) -> StackError {
        StackError(.yamlUnsupported, "\(mark): the tag \(tag) is not supported",
                   hint: "only the YAML 1.2 core-schema tags (!!str, !!int, !!float, !!bool, !!null, !!seq, !!map) are accepted")
    }

    /// Pairs a mapping's children, rejects non-scalar and duplicate keys, and applies
    /// merge keys: explicit keys win over merged ones, earlier merge sources over later.
    private func mergedPairs(_ children: [YAMLNode]) throws -> [YAMLNode.Pair] {
        var explicit: [YAMLNode.Pair] = []
        explicit.reserveCapacity(children.count / 2)
        var seen: [String: YAMLNode.Mark] = [:]
        var merged: [YAMLNode.Pair] = []
        var mergeKeyMark: YAMLNode.Mark?
        var mergeIndex = 0
        var index = 0
        while index + 1 < children.count {
            let key = children[index], value = children[index + 1]
            index += 2
            guard case .scalar(let text, let style, let tag) = key.kind else {
                throw StackError(.yamlUnsupported, "\(key.mark): mapping keys must be scalars, not a \(key.kindName)")
            }
            if text == "<<", style == .plain, tag == nil {
                if let first = mergeKeyMark {
                    throw StackError(.yamlDuplicateKey,
                                     "\(key.mark): duplicate key \"<<\" (first at \(first.lineColumn))")
                }
                mergeKeyMark = key.mark
                mergeIndex = explicit.count
                merged = try mergeSources(value)
                continue
            }
            if let first = seen[text] {
                throw StackError(.yamlDuplicateKey,
                                 "\(key.mark): duplicate key \"\(text)\" (first at \(first.lineColumn))")
            }
            seen[text] = key.mark
            explicit.append((key: key, value: value))
        }
        guard mergeKeyMark != nil else { return explicit }
        var inherited: [YAMLNode.Pair] = []
        for pair in merged {
            guard let text = pair.key.scalarText, seen[text] == nil else { continue }
            seen[text] = pair.key.mark
            inherited.append(pair)
        }
        explicit.insert(contentsOf: inherited, at: mergeIndex)
        return explicit
    }

    private func mergeSources(_ value: YAMLNode) throws -> [YAMLNode.Pair] {
        switch value.kind {
        case .mapping(let pairs):
            return pairs
        case .sequence(let items):
            var pairs: [YAMLNode.Pair] = []
            for item in items {
                guard case .mapping(let itemPairs) = item.kind else {
                    throw StackError(.yamlUnsupported,
                                     "\(item.mark): a merge key (<<) takes mappings, not a \(item.kindName)")
                }
                pairs.append(contentsOf: itemPairs)
            }
            return pairs
        case .scalar:
            throw StackError(.yamlUnsupported,
                             "\(value.mark): a merge key (<<) takes a mapping or a sequence of mappings, not a \(value.kindName)")
        }
    }
}


/// One libyaml parse event, copied out of C memory.
enum YAMLEvent {
    case streamStart
    case streamEnd
    case documentStart(YAMLNode.Mark)
    case documentEnd
    case alias(anchor: String, mark: YAMLNode.Mark)
    case scalar(String, style: YAMLNode.ScalarStyle, tag: String?, anchor: String?, mark: YAMLNode.Mark)
    case sequenceStart(tag: String?, anchor: String?, mark: YAMLNode.Mark)
    case sequenceEnd
    case mappingStart(tag: String?, anchor: String?, mark: YAMLNode.Mark)
    case mappingEnd
}

/// Owns a heap-allocated `yaml_parser_t` and a private copy of the input, which libyaml
/// reads from for the whole parse; both are released in ``close()`` or `deinit`.
///
/// Not `Sendable`: one reader belongs to one parse on one thread.
final class LibYAMLEventReader {
    private var parser: UnsafeMutablePointer<yaml_parser_t>?
    private var input: UnsafeMutableBufferPointer<UInt8>?
    private let file: String

    /// Creates a reader over a copy of `bytes`.
    /// - Parameters:
    ///   - bytes: The document's bytes.
    ///   - file: The file name, for marks and messages.
    /// - Throws: `StackError` `internal.error` when libyaml cannot initialise.
    init(bytes: [UInt8], file: String) throws {
        self.file = file
        // libyaml keeps the pointer: the copy lives until close().
        let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(bytes.count, 1))
        _ = buffer.initialize(from: bytes)
        input = buffer
        let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
        guard yaml_parser_initialize(parser) == 1 else {
            parser.deallocate()
            buffer.deallocate()
            input = nil
            throw StackError(.internalError, "\(file):1:1: libyaml could not initialise a parser")
        }
        self.parser = parser
        yaml_parser_set_input_string(parser, buffer.baseAddress, bytes.count)
    }

    deinit { close() }

    /// Releases the parser and the input copy; safe to call more than once.
    func close() {
        if let parser {
            yaml_parser_delete(parser)
            parser.deallocate()
            self.parser = nil
        }
        if let input {
            input.deallocate()
            self.input = nil
        }
    }

    /// Reads the next event.
    /// - Returns: The event.
    /// - Throws: `StackError` `yaml.syntax` with libyaml's problem and `path:line:column`.
    func next() throws -> YAMLEvent {
        guard let parser else {
            throw StackError(.internalError, "\(file):1:1: the YAML reader is closed")
        }
        var event = yaml_event_t()
        guard yaml_parser_parse(parser, &event) == 1 else { throw syntaxError(parser) }
        defer { yaml_event_delete(&event) }
        let mark = self.mark(event.start_mark)
        switch event.type {
        case YAML_STREAM_START_EVENT:
            return .streamStart
        case YAML_STREAM_END_EVENT:
            return .streamEnd
        case YAML_DOCUMENT_START_EVENT:
            return .documentStart(mark)
        case YAML_DOCUMENT_END_EVENT:
            return .documentEnd
        case YAML_ALIAS_EVENT:
            return .alias(anchor: Self.string(event.data.alias.anchor) ?? "", mark: mark)
        case YAML_SCALAR_EVENT:
            let scalar = event.data.scalar
            let text = scalar.value.map {
                String(decoding: UnsafeBufferPointer(start: $0, count: scalar.length), as: UTF8.self)
            } ?? ""
            return .scalar(text, style: Self.style(scalar.style), tag: Self.string(scalar.tag),
                           anchor: Self.string(scalar.anchor), mark: mark)
        case YAML_SEQUENCE_START_EVENT:
            let start = event.data.sequence_start
            return .sequenceStart(tag: Self.string(start.tag), anchor: Self.string(start.anchor), mark: mark)
        case YAML_SEQUENCE_END_EVENT:
            return .sequenceEnd
        case YAML_MAPPING_START_EVENT:
            let start = event.data.mapping_start
            return .mappingStart(tag: Self.string(start.tag), anchor: Self.string(start.anchor), mark: mark)
        case YAML_MAPPING_END_EVENT:
            return .mappingEnd
        default:
            throw StackError(.yamlSyntax, "\(mark): unexpected YAML event")
        }
    }

    private func mark(_ mark: yaml_mark_t) -> YAMLNode.Mark {
        YAMLNode.Mark(file: file, line: Int(mark.line) + 1, column: Int(mark.column) + 1)
    }

    private func syntaxError(_ parser: UnsafeMutablePointer<yaml_parser_t>) -> StackError {
        let state = parser.pointee
        let problem = state.problem.map { String(cString: $0) } ?? "malformed YAML"
        var position = mark(state.problem_mark)
        var text = problem
        switch state.error {
        case YAML_READER_ERROR:
            // Reader errors report a byte offset, not a mark.
            position = YAMLNode.Mark(file: file, line: 1, column: 1)
            text = "\(problem) at byte \(state.problem_offset)"
        case YAML_MEMORY_ERROR:
            text = "libyaml ran out of memory"
        default:
            if let context = state.context.map({ String(cString: $0) }) {
                text = "\(problem) (\(context) at \(mark(state.context_mark).lineColumn))"
            }
        }
        if let line = Self.line(position.line, of: input), line.prefix(while: { $0 == 0x20 || $0 == 0x09 }).contains(0x09) {
            // libyaml says "found character that cannot start any token" for a tab it meets
            // where indentation is read: say what it is.
            return StackError(.yamlSyntax, "\(position): tabs are not allowed for indentation (line \(position.line))",
                              hint: "indent YAML with spaces, not tabs")
        }
        return StackError(.yamlSyntax, "\(position): \(text)",
                          hint: problem.contains("tab") ? "indent YAML with spaces, not tabs" : nil)
    }

    /// The bytes of 1-based line `number` of `input`, without its newline.
    private static func line(_ number: Int, of input: UnsafeMutableBufferPointer<UInt8>?) -> ArraySlice<UInt8>? {
        guard let input, number >= 1 else { return nil }
        var current = 1
        var start = 0
        for index in 0..<input.count where current < number {
            if input[index] == 0x0A {
                current += 1
                start = index + 1
            }
        }
        guard current == number, start <= input.count else { return nil }
        var end = start
        while end < input.count, input[end] != 0x0A { end += 1 }
        return Array(input)[start..<end]
    }

    private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        guard let pointer else { return nil }
        return pointer.withMemoryRebound(to: CChar.self, capacity: 1) { String(cString: $0) }
    }

    private static func style(_ style: yaml_scalar_style_t) -> YAMLNode.ScalarStyle {
        switch style {
        case YAML_SINGLE_QUOTED_SCALAR_STYLE: .singleQuoted
        case YAML_DOUBLE_QUOTED_SCALAR_STYLE: .doubleQuoted
        case YAML_LITERAL_SCALAR_STYLE: .literal
        case YAML_FOLDED_SCALAR_STYLE: .folded
        default: .plain
        }
    }
}
