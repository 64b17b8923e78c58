import Testing
@testable import StackBundle
import StackCore

/// Runs `body`, requires a `StackError` with `code`, and that its message contains every
/// fragment.
func expectStackError(_ code: StackError.Code, contains fragments: [String] = [],
                      sourceLocation: SourceLocation = #_sourceLocation,
                      _ body: () throws -> Void) {
    do {
        try body()
        Issue.record("expected \(code), but nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as StackError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        for fragment in fragments {
            #expect(error.message.contains(fragment), "\(error.message) lacks \(fragment)",
                    sourceLocation: sourceLocation)
        }
    } catch {
        Issue.record("expected a StackError, got \(error)", sourceLocation: sourceLocation)
    }
}

@Suite("YAML parser")
struct YAMLParserTests {
    let parser = YAMLParser()

    func parse(_ text: String) throws -> YAMLNode { try parser.parse(text, path: "t.yaml") }
    func value(_ text: String) throws -> ConfigValue { try parse(text).toConfigValue() }

    // MARK: Scalars

    @Test("plain scalars resolve by the YAML 1.2 core schema", arguments: [
        ("~", ConfigValue.null), ("null", .null), ("Null", .null), ("NULL", .null), ("", .null),
        ("true", .bool(true)), ("True", .bool(true)), ("TRUE", .bool(true)), ("false", .bool(false)),
        ("FALSE", .bool(false)), ("yes", .string("yes")), ("no", .string("no")), ("on", .string("on")),
        ("42", .int(42)), ("-7", .int(-7)), ("+3", .int(3)), ("0x1F", .int(31)), ("0o17", .int(15)),
        ("012", .int(12)), ("1.5", .double(1.5)), ("-0.25", .double(-0.25)), ("1e3", .double(1000)),
        (".5", .double(0.5)), ("2.", .double(2)), (".inf", .double(.infinity)), ("-.Inf", .double(-.infinity)),
        ("1.2.0", .string("1.2.0")), ("0x", .string("0x")), ("0o8", .string("0o8")), ("1e", .string("1e")),
        ("-x", .string("-x")), ("8080:80", .string("8080:80")), ("512m", .string("512m")),
        ("hello world", .string("hello world")),
    ])
    func plainScalars(text: String, expected: ConfigValue) throws {
        #expect(try value("k: \(text)") == .object(["k": expected]))
    }

    @Test("NaN resolves to a double")
    func nan() throws {
        guard case .object(let o) = try value("k: .nan"), case .double(let d)? = o["k"] else {
            Issue.record("not a double"); return
        }
        #expect(d.isNaN)
    }

    @Test("quoted and block scalars stay strings", arguments: [
        ("\"true\"", "true"), ("'false'", "false"), ("\"42\"", "42"), ("'~'", "~"), ("\"\"", ""),
        ("\"0x10\"", "0x10"), ("|\n  null\n", "null\n"), (">-\n  1.5\n", "1.5"), ("!!str 123", "123"),
    ])
    func quotedStrings(text: String, expected: String) throws {
        #expect(try value("k: \(text)") == .object(["k": .string(expected)]))
    }

    @Test("quoted \"true\" keeps its style")
    func quotedStyle() throws {
        let root = try parse("a: \"true\"\nb: true\n")
        let pairs = try #require(root.mappingPairs)
        guard case .scalar("true", .doubleQuoted, nil) = pairs[0].value.kind else {
            Issue.record("a: \(pairs[0].value.kind)"); return
        }
        #expect(try pairs[0].value.resolvedScalar() == .string("true"))
        #expect(try pairs[1].value.resolvedScalar() == .bool(true))
    }

    @Test("core tags are obeyed")
    func tags() throws {
        #expect(try value("a: !!int \"7\"\nb: !!float 3\nc: !!null ''\nd: ! 12\n")
                == .object(["a": .int(7), "b": .double(3), "c": .null, "d": .string("12")]))
    }

    @Test("marks are 1-based line and column")
    func marks() throws {
        let root = try parse("# comment\nservices:\n  web:\n    image: nginx\n")
        #expect(root.mark.line == 2 && root.mark.column == 1)
        let web = try #require(root.mappingPairs?.first?.value.mappingPairs?.first)
        #expect(web.key.mark == YAMLNode.Mark(file: "t.yaml", line: 3, column: 3))
        let image = try #require(web.value.mappingPairs?.first)
        #expect(image.value.mark.description == "t.yaml:4:12")
    }

    @Test("mapping order is kept")
    func order() throws {
        let keys = try #require(try parse("z: 1\na: 2\nm: 3\n").mappingPairs).compactMap { $0.key.scalarText }
        #expect(keys == ["z", "a", "m"])
    }

    // MARK: Aliases and merge keys

    @Test("aliases expand to the anchored node")
    func aliases() throws {
        let text = """
        base: &b {image: nginx, ports: [80, 443]}
        copy: *b
        name: &n hello
        again: *n
        """
        #expect(try value(text) == .object([
            "base": .object(["image": .string("nginx"), "ports": .array([.int(80), .int(443)])]),
            "copy": .object(["image": .string("nginx"), "ports": .array([.int(80), .int(443)])]),
            "name": .string("hello"), "again": .string("hello"),
        ]))
        let copy = try #require(try parse(text).mappingPairs?[1].value)
        #expect(copy.mark.line == 2)
    }

    @Test("merge keys apply with explicit keys overriding")
    func mergeKeys() throws {
        let text = """
        defaults: &d {restart: always, user: root, image: base}
        extra: &e {user: app, tty: true}
        web:
          image: nginx
          <<: [*d, *e]
          restart: "no"
        single:
          <<: *e
          tty: false
        """
        let v = try value(text)
        #expect(v.objectValue?["web"] == .object([
            "image": .string("nginx"), "restart": .string("no"), "user": .string("root"), "tty": .bool(true),
        ]))
        #expect(v.objectValue?["single"] == .object(["user": .string("app"), "tty": .bool(false)]))
    }

    @Test("a quoted << is an ordinary key")
    func quotedMergeKey() throws {
        #expect(try value("\"<<\": {a: 1}\n") == .object(["<<": .object(["a": .int(1)])]))
    }

    @Test("billion laughs fails with yaml.alias_limit instead of expanding")
    func billionLaughs() throws {
        var text = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]
        for level in 1...9 {
            let previous = names[level - 1]
            let refs = Array(repeating: "*\(previous)", count: 10).joined(separator: ",")
            text += "\(names[level]): &\(names[level]) [\(refs)]\n"
        }
        // Expanded, this is 10^9 scalars; the cap stops it long before.
        expectStackError(.yamlAliasLimit, contains: ["t.yaml:"]) { _ = try parse(text) }
    }

    @Test("the node limit is configurable")
    func nodeLimit() throws {
        let small = YAMLParser(limits: .init(maxNodes: 10))
        let text = "a: &a [1, 2, 3]\nb: [*a, *a]\n"
        expectStackError(.yamlAliasLimit, contains: ["t.yaml:2:"]) { _ = try small.parse(text, path: "t.yaml") }
        #expect(throws: Never.self) { _ = try YAMLParser(limits: .init(maxNodes: 16)).parse(text, path: "t.yaml") }
        expectStackError(.yamlTooLarge) {
            _ = try small.parse("[1,2,3,4,5,6,7,8,9,10,11]", path: "t.yaml")
        }
    }

    @Test("large strings multiplied by aliases hit the byte limit")
    func aliasBytes() throws {
        let parser = YAMLParser(limits: .init(maxExpandedScalarBytes: 1000))
        let text = "a: &a \"\(String(repeating: "x", count: 400))\"\nb: [*a, *a, *a]\n"
        expectStackError(.yamlAliasLimit) { _ = try parser.parse(text, path: "t.yaml") }
    }

    // MARK: Rejections

    @Test("rejections carry the exact code and position", arguments: [
        ("a: 1\nb: 2\na: 3\n", "yaml.duplicate_key", ["t.yaml:3:1", "\"a\"", "1:1"]),
        ("x:\n  k: 1\n  'k': 2\n", "yaml.duplicate_key", ["t.yaml:3:3", "2:3"]),
        ("&x a: 1\n*x : 2\n", "yaml.duplicate_key", ["t.yaml:2:1", "\"a\"", "1:1"]),
        ("<<: {a: 1}\n<<: {b: 2}\n", "yaml.duplicate_key", ["t.yaml:2:1"]),
        ("a:\n\tb: 1\n", "yaml.syntax", ["t.yaml:2:"]),
        ("a: 1\n\tb: 2\n", "yaml.syntax", ["t.yaml:2:"]),
        ("a: [1, 2\n", "yaml.syntax", ["t.yaml:"]),
        ("a: b: c\n", "yaml.syntax", ["t.yaml:1:"]),
        ("key: \"unterminated\n", "yaml.syntax", ["t.yaml:"]),
        ("", "yaml.syntax", ["t.yaml:1:1", "no YAML document"]),
        ("# only a comment\n", "yaml.syntax", ["t.yaml:1:1"]),
        ("a: 1\n---\nb: 2\n", "yaml.unsupported", ["t.yaml:2:1", "second YAML document"]),
        ("--- 1\n--- 2\n", "yaml.unsupported", ["t.yaml:2:1"]),
        ("a: *nowhere\n", "yaml.unsupported", ["t.yaml:1:4", "*nowhere"]),
        ("a: &s [1, *s]\n", "yaml.unsupported", ["t.yaml:1:11"]),
        ("? [a, b]\n: 1\n", "yaml.unsupported", ["t.yaml:1:3", "scalars"]),
        ("<<: 5\n", "yaml.unsupported", ["t.yaml:1:5", "merge"]),
        ("<<: [{a: 1}, 2]\n", "yaml.unsupported", ["t.yaml:1:14"]),
        ("a: !reset null\n", "yaml.unsupported", ["t.yaml:1:4", "!reset"]),
        ("a: !!int abc\n", "yaml.unsupported", ["t.yaml:1:4"]),
        ("a: !!binary aGk=\n", "yaml.unsupported", ["t.yaml:1:4"]),
    ])
    func rejections(text: String, code: String, fragments: [String]) throws {
        do {
            _ = try parse(text)
            Issue.record("accepted: \(text)")
        } catch let error as StackError {
            #expect(error.code.rawValue == code, "\(error)")
            for fragment in fragments {
                #expect(error.message.contains(fragment), "\(error.message) lacks \(fragment)")
            }
        }
    }

    @Test("tabs in indentation give a syntax error with a hint")
    func tabs() throws {
        expectStackError(.yamlSyntax, contains: ["t.yaml:2:", "tabs are not allowed for indentation (line 2)"]) {
            _ = try parse("services:\n\tweb: {}\n")
        }
        expectStackError(.yamlSyntax, contains: ["tabs are not allowed for indentation (line 4)"]) {
            _ = try parse("services:\n  web:\n    ports:\n  \t- 80\n")
        }
    }

    @Test("nesting deeper than the limit is refused", arguments: [63, 64, 65, 500])
    func depth(levels: Int) throws {
        let text = String(repeating: "[", count: levels) + String(repeating: "]", count: levels)
        if levels <= 64 {
            #expect(throws: Never.self) { _ = try parse(text) }
        } else {
            expectStackError(.yamlTooDeep, contains: ["t.yaml:1:65"]) { _ = try parse(text) }
        }
    }

    @Test("an alias cannot smuggle depth past the limit")
    func aliasDepth() throws {
        let parser = YAMLParser(limits: .init(maxDepth: 4))
        expectStackError(.yamlTooDeep, contains: ["t.yaml:2:"]) {
            _ = try parser.parse("a: &a [[[1]]]\nb: [[*a]]\n", path: "t.yaml")
        }
    }

    @Test("input over the size limit is refused before parsing")
    func inputSize() throws {
        let big = [UInt8](repeating: UInt8(ascii: "a"), count: (1 << 20) + 1)
        expectStackError(.yamlTooLarge, contains: ["big.yaml:1:1"]) { _ = try parser.parse(big, path: "big.yaml") }
    }

    @Test("a lone document marker is a null document")
    func nullDocument() throws {
        #expect(try value("---\n") == .null)
        #expect(try value("--- 5\n...\n") == .int(5))
    }
}
