import Foundation
import Testing
import RLHFEngine

@Suite("The one JSON reader")
struct JSONParserTests {
    static let floats: [Float] = [1e-45, 3.4028235e38, -0.0, 0.1, 1e-05, 0.02, 1.17549435e-38, 16777217,
                                  -2.5e-07, 0.3, 1.0 / 3.0, .leastNormalMagnitude, .greatestFiniteMagnitude]
    static let doubles: [Double] = [.leastNonzeroMagnitude, 1.7976931348623157e308, -0.0, 0.1, 0.2 + 0.1, 1e-05,
                                    1.0 / 3.0, 2.2250738585072014e-308, 9007199254740993, 123456789.123456789, -1e300]

    /// A Float as a checkpoint's config.json gives it (`JSONFields.float`): the Float nearest the number's text.
    static func configFloat(_ text: String) throws -> Float {
        let (value, locations) = try JSONParser.parseLocated(text)
        if let number = locations.numberTexts[""] { return try #require(Float(number)) }
        return Float(try #require(value.double))
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

    /// Traces were read with `JSONDecoder`, which reads these as we do. (`JSONSerialization`, which read
    /// only config.json's two floats and safetensors' integers, reads 0.30000000000000004 one ulp low.)
    @Test("doubles JSONText writes read back to the same bits, as JSONDecoder read them")
    func doubleRoundTrip() throws {
        for value in Self.doubles {
            let text = JSONText.double(value).rendered(compact: true)
            let read = try #require(try JSONParser.parse(text).double)
            #expect(read.bitPattern == value.bitPattern, "\(text)")
            let decoded = try JSONDecoder().decode([Double].self, from: Data("[\(text)]".utf8))[0]
            #expect(read.bitPattern == decoded.bitPattern, "\(text)")
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

    /// Where `text` stops being JSON; nil if it parses.
    static func failure(_ text: String) -> JSONParser.Failure? {
        do { _ = try JSONParser.parse(text) } catch let failure as JSONParser.Failure { return failure } catch {}
        return nil
    }

    @Test("a syntax error names its line and column")
    func syntaxError() throws {
        let word = try #require(Self.failure("{\n  \"n_embd\": 32,\n  \"n_layer\": two\n}\n"))
        #expect((word.message, word.offset, word.line, word.column) == ("expected true", 31, 3, 14))
        let comma = try #require(Self.failure("{\"a\": 1,\n \"b\": [1, 2,, 3]}"))
        #expect((comma.message, comma.offset, comma.line, comma.column) == ("unexpected character", 21, 2, 13))
        #expect(comma.description == "unexpected character at line 2, column 13")
    }

    @Test("LF, a lone CR and CR LF are each one line break, in errors and in located values")
    func lineBreaks() throws {
        // Lines: `{` / `"a": 1,` / `"b": 2,` / `"c": x}`, ended by LF, CR, CR LF in turn.
        for ends in [["\n", "\n", "\n"], ["\r", "\r", "\r"], ["\r\n", "\r\n", "\r\n"], ["\r", "\n", "\r\n"]] {
            let text = "{" + ends[0] + "\"a\": 1," + ends[1] + "\"b\": 2," + ends[2] + "\"c\": x}"
            let bad = try #require(Self.failure(text))
            #expect((bad.line, bad.column) == (4, 6), "line ends \(ends.map(\.debugDescription))")
            let good = text.replacingOccurrences(of: "x", with: "3")
            let located = try JSONParser.parseLocated(good).locations
            #expect(["a", "b", "c"].map(located.line(of:)) == [2, 3, 4], "line ends \(ends.map(\.debugDescription))")
        }
    }

    @Test("a field named twice: rejected where asked, with the located parse's failure; a plain parse keeps the last")
    func repeatedField() throws {
        let text = "{\"a\": 1,\n \"b\": {\"c\": 2,\n  \"c\": 3}}"
        let located = #expect(throws: JSONParser.Failure.self) { try JSONParser.parseLocated(text) }
        let asked = #expect(throws: JSONParser.Failure.self) {
            try JSONParser.parse(text, rejectingRepeatedFields: true)
        }
        #expect(asked == located)
        #expect(asked?.description == "the field \"c\" appears twice at line 3, column 8")
        #expect(try JSONParser.parse(text) == .object(["a": .integer(1), "b": .object(["c": .integer(3)])]))
        let once = "{\"a\": [1, {\"a\": 2}], \"b\": 1.5}"
        #expect(try JSONParser.parse(once, rejectingRepeatedFields: true) == JSONParser.parseLocated(once).value)
    }

    @Test("a number past Double's range is an error, not infinity; a tiny one reads as zero")
    func outOfRange() throws {
        for text in ["1e400", "-1e400", "[1, 2e999]"] {
            #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(text) }
        }
        #expect(try JSONParser.parse("-1e-400").double == 0)
    }

    @Test("a leading byte-order mark is not part of the text; bad UTF-8 is nil")
    func byteOrderMark() throws {
        let text = try #require(UTF8Text.decode(Data([0xEF, 0xBB, 0xBF] + Array("{\"a\": 1}".utf8))))
        #expect(text == "{\"a\": 1}")
        #expect(try JSONParser.parse(text) == JSONParser.parse("{\"a\": 1}"))
        #expect(UTF8Text.decode(Data([0x61, 0xFF])) == nil)
    }
}
