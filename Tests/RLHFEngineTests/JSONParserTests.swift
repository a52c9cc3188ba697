import Foundation
import Testing
@testable import RLHFEngine

@Suite("The one JSON reader")
struct JSONParserTests {
    static let floats: [Float] = [1e-45, 3.4028235e38, -0.0, 0.1, 1e-05, 0.02, 1.17549435e-38, 16777217,
                                  -2.5e-07, 0.3, 1.0 / 3.0, .leastNormalMagnitude, .greatestFiniteMagnitude]
    static let doubles: [Double] = [5e-324, 1.7976931348623157e308, -0.0, 0.1, 0.2 + 0.1, 1e-05, 1.0 / 3.0,
                                    2.2250738585072014e-308, 9007199254740993, 123456789.123456789, -1e300]

    /// A Float as `JSONFields.float` reads it from a config file: through the Double its text reads as.
    static func configFloat(_ text: String) throws -> Float {
        let data = Data("{\"x\": \(text)}".utf8)
        return try JSONFields(parsing: data, file: "config.json").float("x")
    }

    @Test("floats JSONText writes read back to the same bits, as Foundation's reader read them")
    func floatRoundTrip() throws {
        for value in Self.floats {
            let text = JSONText.float(value).rendered(compact: true)
            let read = try Self.configFloat(text)
            #expect(read.bitPattern == value.bitPattern, "\(text)")
            let foundation = try #require(
                try JSONSerialization.jsonObject(with: Data("[\(text)]".utf8)) as? [NSNumber]).first!
            #expect(read.bitPattern == Float(foundation.doubleValue).bitPattern, "\(text)")
        }
    }

    @Test("doubles JSONText writes read back to the same bits, as Foundation's reader read them")
    func doubleRoundTrip() throws {
        for value in Self.doubles {
            let text = JSONText.double(value).rendered(compact: true)
            let read = try #require(try JSONParser.parse(text).double)
            #expect(read.bitPattern == value.bitPattern, "\(text)")
            let foundation = try #require(
                try JSONSerialization.jsonObject(with: Data("[\(text)]".utf8)) as? [NSNumber]).first!
            #expect(read.bitPattern == foundation.doubleValue.bitPattern, "\(text)")
        }
        #expect(try Double(json: JSONParser.parse(JSONText.double(.nan).rendered(compact: true)), at: "").isNaN)
        #expect(try Double(json: JSONParser.parse("\"-Infinity\""), at: "") == -.infinity)
    }

    @Test("integers stay integers, to the ends of Int; past them they are numbers")
    func integers() throws {
        #expect(try JSONParser.parse("9223372036854775807") == .integer(.max))
        #expect(try JSONParser.parse("-9223372036854775808") == .integer(.min))
        #expect(try JSONParser.parse("9223372036854775808") == .number(9223372036854775808))
        #expect(try JSONParser.parse("-0") == .integer(0))
        #expect(try JSONParser.parse("1.0") == .number(1))
        #expect(try JSONParser.parse("[true, null, \"a\\u00e9\\n\", \"é\"]")
                == .array([.bool(true), .null, .string("a\u{e9}\n"), .string("é")]))
    }

    @Test("a syntax error names its line and column")
    func syntaxError() {
        let text = "{\n  \"n_embd\": 32,\n  \"n_layer\": two\n}\n"
        #expect(throws: JSONParser.Failure(message: "expected true", offset: 31, line: 3, column: 14)) {
            try JSONParser.parse(text)
        }
        #expect(throws: JSONParser.Failure(message: "unexpected character", offset: 21, line: 2, column: 13)) {
            try JSONParser.parse("{\"a\": 1,\n \"b\": [1, 2,, 3]}")
        }
    }

    @Test("a config field of the wrong type names FILE:LINE")
    func fieldLine() throws {
        let data = Data("{\n  \"n_embd\": 32,\n  \"n_layer\": \"2\"\n}\n".utf8)
        let json = try JSONFields(parsing: data, file: "config.json")
        #expect(throws: CheckpointError.invalidField(file: "config.json:3", field: "n_layer",
                                                     detail: "expected an integer, found \"2\"")) {
            try json.int("n_layer")
        }
    }
}
