import StackAPI
import Testing

@Suite("APIRequest: path and query parsing of untrusted targets")
struct APIRequestTests {
    static func query(_ target: String) -> [String: String] {
        APIRequest(method: "GET", target: target, headers: []).query
    }

    @Test("empty keys, empty pairs and bare keys parse without trapping", arguments: [
        ("/v1/stacks/x?=", [:]),
        ("/v1/stacks/x?=&&=x&", [:]),
        ("/v1/stacks/x?&purge", ["purge": ""]),
        ("/v1/stacks/x?purge=", ["purge": ""]),
        ("/v1/stacks/x?a=b=c", ["a": "b=c"]),
        ("/v1/stacks/x?", [:]),
        ("/v1/stacks/x", [:]),
    ] as [(String, [String: String])])
    func oddPairs(target: String, expected: [String: String]) {
        #expect(Self.query(target) == expected)
    }

    @Test("keys and values are percent-decoded; malformed escapes are kept; the first of a repeated key wins")
    func decoding() {
        #expect(Self.query("/x?pur%67e=tru%65") == ["purge": "true"])
        #expect(Self.query("/x?a=%ZZ&b=%") == ["a": "%ZZ", "b": "%"])
        #expect(Self.query("/x?purge=true&purge=false") == ["purge": "true"])
        #expect(Self.query("/x?a=1+2") == ["a": "1+2"])
    }

    @Test("the fuzzer's target that crashed the server parses")
    func crashingTarget() {
        let target = "/v1/stacks/%0DI%C3%8A%C2%90?W=A%C3%A2&W=%2B%C2%A9&=&%22=%5B27797%5D&bB=null"
        let query = Self.query(target)
        #expect(query["W"] == "Aâ")
        #expect(query["\""] == "[27797]")
        #expect(query[""] == nil)
        #expect(APIRequest(method: "DELETE", target: target, headers: []).path == "/v1/stacks/%0DI%C3%8A%C2%90")
    }
}
