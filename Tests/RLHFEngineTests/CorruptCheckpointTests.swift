import Foundation
import RLHFEngine
import Testing

/// One way to damage a saved language-model folder, and the words its refusal must hold.
enum CorruptCheckpoint: String, CaseIterable, Sendable, CustomStringConvertible {
    case hugeWidth, hugeLayerCount, layersBeyondTheFile, shorterContext, widerThanTheWeights, hugeVocabulary
    case epsilonOverflows, infiniteInitializerRange, nanHead, infiniteWeight, stringForInteger
    case booleanForInteger, arrayForNumber, configSyntax, overlappingOffsets, gapInData, trailingBytes
    case duplicateName, notAFile

    var description: String { rawValue }

    /// Words the message must contain (the file's name is always checked too).
    var mentions: [String] {
        switch self {
        case .hugeWidth: return ["config.json", "\"n_embd\"", "4800000", "larger"]
        case .hugeLayerCount: return ["config.json", "\"n_layer\"", "1000000000", "larger"]
        case .layersBeyondTheFile: return ["config.json", "\"n_layer\"", "asks for 3 blocks", "holds 2"]
        case .shorterContext: return ["config.json", "n_positions", "[8, 32]", "[16, 32]"]
        case .widerThanTheWeights: return ["config.json", "n_embd", "[24, 64]", "[24, 32]"]
        case .hugeVocabulary: return ["config.json", "\"vocab_size\"", "larger"]
        case .epsilonOverflows: return ["config.json", "\"layer_norm_epsilon\"", "1e+300", "finite"]
        case .infiniteInitializerRange: return ["config.json", "\"initializer_range\"", "finite"]
        case .nanHead: return ["head.safetensors", "\"head.weight\"", "nan", "index 3"]
        case .infiniteWeight: return ["model.safetensors", "\"transformer.h.1.ln_2.bias\"", "inf", "index 0"]
        case .stringForInteger: return ["config.json:1: field \"n_embd\"", "expected an integer, found \"32\""]
        case .booleanForInteger: return ["config.json", "\"n_layer\"", "found true"]
        case .arrayForNumber: return ["config.json", "\"layer_norm_epsilon\"", "found [1,2]"]
        case .configSyntax: return ["config.json", "not valid JSON", "line 3, column 14"]
        case .overlappingOffsets: return ["model.safetensors", "overlaps"]
        case .gapInData: return ["model.safetensors", "belong to no tensor"]
        case .trailingBytes: return ["model.safetensors", "4 bytes after the last tensor"]
        case .duplicateName: return ["model.safetensors", "names \"transformer.wte.weight\" twice"]
        case .notAFile: return ["model.safetensors", "is a folder"]
        }
    }

    /// Breaks the folder saved by `CheckpointTests.makeModel` (width 32, context 16, 2 blocks).
    func damage(_ folder: URL) throws {
        switch self {
        case .hugeWidth: try Self.editConfig(folder) { $0["n_embd"] = 4_800_000 }
        case .hugeLayerCount: try Self.editConfig(folder) { $0["n_layer"] = 1_000_000_000 }
        case .layersBeyondTheFile: try Self.editConfig(folder) { $0["n_layer"] = 3 }
        case .shorterContext: try Self.editConfig(folder) { $0["n_positions"] = 8; $0["n_embd"] = 32 }
        case .widerThanTheWeights: try Self.editConfig(folder) { $0["n_embd"] = 64 }
        case .hugeVocabulary: try Self.editConfig(folder) { $0["vocab_size"] = 1 << 40 }
        case .epsilonOverflows: try Self.editConfig(folder) { $0["layer_norm_epsilon"] = 1e300 }
        case .infiniteInitializerRange: try Self.editConfig(folder) { $0["initializer_range"] = 1e39 }
        case .nanHead:
            try Self.edit(folder, CheckpointTests.headFile) { $0["head.weight"]!.values[3] = .nan }
        case .infiniteWeight:
            try Self.edit(folder, CheckpointFolder.weightsFile) {
                $0["transformer.h.1.ln_2.bias"]!.values[0] = .infinity
            }
        case .stringForInteger: try Self.editConfig(folder) { $0["n_embd"] = "32" }
        case .booleanForInteger: try Self.editConfig(folder) { $0["n_layer"] = true }
        case .arrayForNumber: try Self.editConfig(folder) { $0["layer_norm_epsilon"] = [1, 2] }
        case .configSyntax:
            try Data("{\n  \"n_embd\": 32,\n  \"n_layer\": two\n}\n".utf8)
                .write(to: folder.appendingPathComponent("config.json"))
        case .overlappingOffsets: try Self.editHeader(folder, second: true) { $0[0] -= 4; $0[1] -= 4 }
        case .gapInData: try Self.editHeader(folder, second: false) { $0[0] += 4; $0[1] += 4 }
        case .trailingBytes:
            let url = folder.appendingPathComponent(CheckpointFolder.weightsFile)
            try (Data(contentsOf: url) + Data([0, 0, 0, 0])).write(to: url)
        case .duplicateName:
            let url = folder.appendingPathComponent(CheckpointFolder.weightsFile)
            let (length, header, data) = try Self.split(Data(contentsOf: url))
            _ = length
            // Repeat the last entry under its own name: the object now names it twice.
            let entry = header[header.range(of: "\"transformer.wte.weight\"")!.lowerBound...]
                .trimmingCharacters(in: .whitespaces).dropLast()
            let doubled = String(header.trimmingCharacters(in: .whitespaces).dropLast()) + "," + entry + "}"
            try Self.join(doubled, data).write(to: url)
        case .notAFile:
            let url = folder.appendingPathComponent(CheckpointFolder.weightsFile)
            try FileManager.default.removeItem(at: url)
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
        }
    }

    private static func editConfig(_ folder: URL, _ change: (inout [String: Any]) -> Void) throws {
        let url = folder.appendingPathComponent(CheckpointFolder.configFile)
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        change(&config)
        try JSONSerialization.data(withJSONObject: config).write(to: url)
    }

    private static func edit(_ folder: URL, _ file: String, _ change: (inout [String: StoredTensor]) -> Void) throws {
        let url = folder.appendingPathComponent(file)
        var tensors = try Safetensors.read(from: url).tensors
        change(&tensors)
        try Safetensors.write(tensors, to: url)
    }

    /// Changes the data_offsets of the first tensor in the data (begin 0), or of the second.
    private static func editHeader(_ folder: URL, second: Bool, _ change: (inout [Int]) -> Void) throws {
        let url = folder.appendingPathComponent(CheckpointFolder.weightsFile)
        let (_, header, data) = try split(Data(contentsOf: url))
        func end(after marker: String) -> Int {
            let start = header.range(of: marker)!
            return Int(header[start.upperBound..<header[start.upperBound...].firstIndex(of: "]")!])!
        }
        let firstEnd = end(after: "\"data_offsets\":[0,")
        let marker = second ? "\"data_offsets\":[\(firstEnd)," : "\"data_offsets\":[0,"
        var offsets = [second ? firstEnd : 0, end(after: marker)]
        change(&offsets)
        let start = header.range(of: marker)!
        let close = header[start.upperBound...].firstIndex(of: "]")!
        let edited = header.replacingCharacters(in: start.lowerBound...close,
                                                with: "\"data_offsets\":[\(offsets[0]),\(offsets[1])]")
        try join(edited, data).write(to: url)
    }

    private static func split(_ bytes: Data) throws -> (Int, String, Data) {
        let length = bytes.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        return (length, String(decoding: bytes[8..<(8 + length)], as: UTF8.self), bytes.suffix(from: 8 + length))
    }

    private static func join(_ header: String, _ data: Data) -> Data {
        var padded = header
        while padded.utf8.count % 8 != 0 { padded += " " }
        var bytes = Data()
        withUnsafeBytes(of: UInt64(padded.utf8.count).littleEndian) { bytes.append(contentsOf: $0) }
        return bytes + Data(padded.utf8) + data
    }
}

@Suite("Checkpoint: corrupt folders are refused")
struct CorruptCheckpointTests {
    @Test("each damaged folder is refused with a message naming file and field or tensor",
          arguments: CorruptCheckpoint.allCases)
    func refused(_ corruption: CorruptCheckpoint) throws {
        let (model, valueHead, _) = CheckpointTests.makeModel()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rlhf-corrupt-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try CheckpointTests.save(model, tokenizer: CheckpointTests.makeTokenizer(), head: valueHead, to: folder)
        try corruption.damage(folder)
        let error = #expect(throws: CheckpointError.self) { _ = try CheckpointTests.load(folder) }
        let message = error?.description ?? ""
        for part in corruption.mentions {
            #expect(message.contains(part), "\"\(message)\" should mention \(part)")
        }
        #expect(!message.contains("NSCocoaErrorDomain") && !message.contains("couldn’t"), "\(message)")
    }
}
