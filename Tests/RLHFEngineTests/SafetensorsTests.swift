import Foundation
import RLHFEngine
import Testing

/// The safetensors reader and writer, on byte strings built by hand. (The type name
/// contains "Checkpoint" so that `swift test --filter Checkpoint` runs it.)
@Suite("Checkpoint: safetensors")
struct SafetensorsCheckpointTests {
    /// 8-byte little-endian header length, the header text, then the data bytes.
    private static func file(header: String, data: [UInt8]) -> Data {
        var bytes = Data()
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: Array(header.utf8))
        bytes.append(contentsOf: data)
        return bytes
    }

    private static func littleEndianBytes(_ values: [Float]) -> [UInt8] {
        values.flatMap { value in withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) } }
    }

    @Test("a hand-built file parses as expected")
    func parsesHandBuiltFile() throws {
        let header = #"{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[8,24]},"#
            + #""b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"__metadata__":{"format":"pt"}}"#
        let bytes = Self.file(header: header, data: Self.littleEndianBytes([0.5, -1, 1, 2, 3, -4.25]))
        let parsed = try Safetensors.decode(bytes, file: "hand.safetensors")
        #expect(parsed.metadata == ["format": "pt"])
        #expect(parsed.names == ["b", "w"])
        #expect(parsed.tensors["b"] == StoredTensor(shape: [2], values: [0.5, -1]))
        #expect(parsed.tensors["w"] == StoredTensor(shape: [2, 2], values: [1, 2, 3, -4.25]))
        #expect(try parsed.values("w", shape: [2, 2]) == [1, 2, 3, -4.25])
    }

    @Test("the writer gives the bytes of the reference implementation")
    func matchesReferenceBytes() {
        // safetensors.torch.save({"b": tensor([1., -2.]), "a": tensor([[.5, .25, -0.]])}, metadata={"format": "pt"})
        let header = #"{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[1,3],"data_offsets":[0,12]},"#
            + #""b":{"dtype":"F32","shape":[2],"data_offsets":[12,20]}} "#
        let expected = Self.file(header: header, data: Self.littleEndianBytes([0.5, 0.25, -0.0, 1, -2]))
        #expect(expected.count == 172)
        let written = Safetensors.encode([
            "b": StoredTensor(shape: [2], values: [1, -2]),
            "a": StoredTensor(shape: [1, 3], values: [0.5, 0.25, -0.0]),
        ])
        #expect(written == expected)
    }

    @Test("the header is padded with spaces to a multiple of 8")
    func headerIsPadded() {
        for name in ["x", "xy", "xyz", "wxyz", "vwxyz", "uvwxyz", "tuvwxyz", "stuvwxyz"] {
            let bytes = Safetensors.encode([name: StoredTensor(shape: [1], values: [1])], metadata: [:])
            let length = bytes.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
            #expect(length % 8 == 0)
            let header = String(decoding: bytes[8..<(8 + length)], as: UTF8.self)
            #expect(header.hasPrefix("{\"\(name)\":"))
            #expect(header.trimmingCharacters(in: .whitespaces).hasSuffix("}"))
            #expect(bytes.count == 8 + length + 4)
        }
    }

    @Test("values survive a round trip bit for bit, special values included")
    func roundTripIsExact() throws {
        let odd: [Float] = [-0.0, .infinity, -.infinity, .leastNonzeroMagnitude, .greatestFiniteMagnitude,
                            Float(bitPattern: 0x7FC0_1234), 1e-5, 0.1]
        let tensors = [
            "odd": StoredTensor(shape: [2, 4], values: odd),
            "empty": StoredTensor(shape: [0, 3], values: []),
            "scalar": StoredTensor(shape: [], values: [42]),
        ]
        let parsed = try Safetensors.decode(Safetensors.encode(tensors), file: "round.safetensors")
        #expect(parsed.names == ["empty", "odd", "scalar"])
        #expect(parsed.tensors["odd"]!.values.map(\.bitPattern) == odd.map(\.bitPattern))
        #expect(parsed.tensors["empty"]!.shape == [0, 3])
        #expect(parsed.tensors["scalar"] == StoredTensor(shape: [], values: [42]))
        #expect(Safetensors.encode(parsed.tensors) == Safetensors.encode(tensors))
    }

    // MARK: errors

    private static func expectError(_ bytes: Data, mentions parts: [String]) {
        let error = #expect(throws: CheckpointError.self) {
            _ = try Safetensors.decode(bytes, file: "weights/model.safetensors")
        }
        let message = error?.description ?? ""
        for part in ["weights/model.safetensors"] + parts {
            #expect(message.contains(part), "\"\(message)\" should mention \(part)")
        }
    }

    private static let good = #"{"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#

    @Test("a file shorter than the header length is truncated")
    func truncatedHeaderLength() {
        Self.expectError(Data([1, 2, 3]), mentions: ["truncated", "8-byte"])
        var bytes = Self.file(header: Self.good, data: Self.littleEndianBytes([1, 2]))
        bytes.replaceSubrange(0..<8, with: [0xFF, 0xFF, 0, 0, 0, 0, 0, 0])
        Self.expectError(bytes, mentions: ["truncated", "header length 65535"])
    }

    @Test("data offsets past the end are truncation, naming the tensor")
    func truncatedData() {
        let bytes = Self.file(header: Self.good, data: Self.littleEndianBytes([1, 2]))
        Self.expectError(bytes.dropLast(3), mentions: ["truncated", "\"t\"", "[0, 8]"])
    }

    @Test("a header that is not JSON is an error")
    func badJSON() {
        Self.expectError(Self.file(header: "{\"t\": [", data: []), mentions: ["not valid JSON"])
        Self.expectError(Self.file(header: "[1, 2]", data: []), mentions: ["JSON object"])
        Self.expectError(Self.file(header: #"{"t":{"dtype":"F32","shape":[2]}}"#, data: Self.littleEndianBytes([1, 2])),
                         mentions: ["\"t\"", "data_offsets"])
    }

    @Test("a dtype other than F32 is an error naming the tensor and dtype", arguments: ["F16", "BF16", "I64", "Q9"])
    func unsupportedDType(dtype: String) {
        let header = #"{"layer.weight":{"dtype":""# + dtype + #"","shape":[2],"data_offsets":[0,8]}}"#
        Self.expectError(Self.file(header: header, data: Self.littleEndianBytes([1, 2])),
                         mentions: ["\"layer.weight\"", dtype, "only F32"])
    }

    @Test("offsets that do not span shape * 4 bytes are an error")
    func sizeMismatch() {
        let header = #"{"t":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#
        Self.expectError(Self.file(header: header, data: Self.littleEndianBytes([1, 2])),
                         mentions: ["\"t\"", "[3]", "12 bytes", "span 8"])
        let huge = #"{"t":{"dtype":"F32","shape":[3000000000000,1000000],"data_offsets":[0,8]}}"#
        Self.expectError(Self.file(header: huge, data: Self.littleEndianBytes([1, 2])),
                         mentions: ["\"t\"", "more bytes than an Int counts"])
    }

    @Test("a missing tensor or a wrong shape names the file, tensor and shapes")
    func missingTensorAndWrongShape() throws {
        let parsed = try Safetensors.decode(Self.file(header: Self.good, data: Self.littleEndianBytes([1, 2])),
                                            file: "weights/model.safetensors")
        let missing = #expect(throws: CheckpointError.self) { _ = try parsed.values("u", shape: [2]) }
        #expect(missing == .missingTensor(file: "weights/model.safetensors", tensor: "u"))
        let wrong = #expect(throws: CheckpointError.self) { _ = try parsed.values("t", shape: [1, 2]) }
        #expect(wrong?.description == "weights/model.safetensors: tensor \"t\" has shape [2], expected [1, 2]")
    }

    @Test("a missing file is an error naming it")
    func missingFile() {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("absent-\(UUID().uuidString).safetensors")
        let error = #expect(throws: CheckpointError.self) { _ = try Safetensors.read(from: url) }
        #expect(error == .missingFile(file: url.path))
        #expect(error?.description.contains(url.lastPathComponent) == true)
    }

    @Test("write puts the file in place and leaves no temporary file")
    func writeIsClean() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("st-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent("x.safetensors")
        let tensors = ["t": StoredTensor(shape: [2], values: [3, 4])]
        try Safetensors.write(tensors, to: url)
        try Safetensors.write(tensors, to: url)  // over an existing file
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["x.safetensors"])
        #expect(try Safetensors.read(from: url).tensors == tensors)
    }
}
