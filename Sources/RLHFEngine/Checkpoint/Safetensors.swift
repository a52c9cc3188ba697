import Foundation

/// One tensor as a safetensors file stores it: a shape and float32 values, row-major.
public struct StoredTensor: Equatable, Sendable {
    public var shape: [Int]
    public var values: [Float]

    public init(shape: [Int], values: [Float]) {
        precondition(shape.reduce(1, *) == values.count, "shape \(shape) does not hold \(values.count) values")
        self.shape = shape
        self.values = values
    }

    /// The shape and values of a tensor (its graph and gradient are not stored).
    public init(_ tensor: Tensor) {
        self.init(shape: tensor.shape, values: tensor.data)
    }
}

/// The safetensors format of Hugging Face (https://github.com/huggingface/safetensors):
///
///     8 bytes      N, little-endian UInt64
///     N bytes      JSON header {"__metadata__": {...}, name: {"dtype", "shape", "data_offsets": [begin, end]}, ...}
///                  padded with spaces to a multiple of 8
///     the rest     the tensors' bytes, little-endian; offsets count from here
///
/// We write and read F32 only. Tensors are written in name order (bytewise, as the
/// reference implementation sorts them) with a fixed header layout, so the same tensors
/// always give the same bytes.
public enum Safetensors {
    /// The metadata PyTorch's `save_file` writes; `transformers` checks for it.
    public static let pytorchMetadata = ["format": "pt"]

    /// The bytes of a safetensors file holding `tensors` as F32.
    public static func encode(_ tensors: [String: StoredTensor], metadata: [String: String] = pytorchMetadata) -> Data {
        let names = tensors.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        var header: [(String, JSONText)] = []
        if !metadata.isEmpty {
            let sortedMetadata = metadata.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            header.append(("__metadata__", .object(sortedMetadata.map { ($0.key, .string($0.value)) })))
        }
        var offset = 0
        for name in names {
            let tensor = tensors[name]!
            let end = offset + tensor.values.count * 4
            header.append((name, .object([
                ("dtype", .string("F32")),
                ("shape", .array(tensor.shape.map { .integer($0) })),
                ("data_offsets", .array([.integer(offset), .integer(end)])),
            ])))
            offset = end
        }
        var headerBytes = Array(JSONText.object(header).rendered(compact: true).utf8)
        headerBytes += [UInt8](repeating: UInt8(ascii: " "), count: (8 - headerBytes.count % 8) % 8)

        var bytes = Data(capacity: 8 + headerBytes.count + offset)
        withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: headerBytes)
        var body = Data(count: offset)
        body.withUnsafeMutableBytes { raw in
            var position = 0
            for name in names {
                for value in tensors[name]!.values {
                    raw.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: position, as: UInt32.self)
                    position += 4
                }
            }
        }
        bytes.append(body)
        return bytes
    }

    /// Writes `tensors` to `url` through a temporary file renamed into place.
    public static func write(_ tensors: [String: StoredTensor], metadata: [String: String] = pytorchMetadata,
                             to url: URL, fileSystem: any FileSystem = SystemFileSystem()) throws {
        try CheckpointFiles.writeAtomically(encode(tensors, metadata: metadata), to: url, fileSystem: fileSystem)
    }

    /// Reads the safetensors file at `url`.
    public static func read(from url: URL, fileSystem: any FileSystem = SystemFileSystem()) throws -> SafetensorsFile {
        try decode(CheckpointFiles.read(url, fileSystem: fileSystem), file: url.path)
    }

    /// Parses the bytes of a safetensors file; `file` names it in error messages.
    public static func decode(_ bytes: Data, file: String) throws -> SafetensorsFile {
        try bytes.withUnsafeBytes { raw in try decode(raw, file: file) }
    }

    /// The header is checked whole before any tensor is read: names unique, each entry an F32
    /// tensor whose byte range holds its shape, and the ranges, in order, tiling the data
    /// exactly (no gap, no overlap, no trailing bytes). So the values read are at most the file.
    private static func decode(_ raw: UnsafeRawBufferPointer, file: String) throws -> SafetensorsFile {
        guard raw.count >= 8 else {
            throw CheckpointError.truncated(file: file,
                                            detail: "\(raw.count) bytes, shorter than the 8-byte header length")
        }
        let declared = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        guard declared <= UInt64(raw.count - 8) else {
            throw CheckpointError.truncated(
                file: file, detail: "header length \(declared) runs past the end of the file (\(raw.count) bytes)")
        }
        let headerLength = Int(declared)
        let headerBytes = Data(raw[8..<(8 + headerLength)])
        if let duplicate = firstDuplicateKey(in: Array(headerBytes)) {
            throw CheckpointError.malformed(file: file, detail: "the header names \"\(duplicate)\" twice")
        }
        let header = try JSONFields(parsing: headerBytes, file: file)
        let dataStart = 8 + headerLength
        let dataLength = raw.count - dataStart

        var metadata: [String: String] = [:]
        var entries: [(name: String, shape: [Int], begin: Int, end: Int)] = []
        for name in header.values.keys.sorted() {
            let entry = header.values[name]!
            if name == "__metadata__" {
                guard case let .object(pairs) = entry, case let strings = pairs.compactMapValues(\.string),
                      strings.count == pairs.count else {
                    throw CheckpointError.malformed(file: file, detail: "__metadata__ must map strings to strings")
                }
                metadata = strings
                continue
            }
            guard case let .object(fields) = entry else {
                throw CheckpointError.malformed(file: file,
                                                detail: "header entry for tensor \"\(name)\" is not an object")
            }
            func bad(_ detail: String) -> CheckpointError {
                .malformed(file: file, detail: "tensor \"\(name)\": \(detail)")
            }
            guard case let .string(dtype)? = fields["dtype"] else { throw bad("no \"dtype\" string") }
            guard let shape = naturalNumbers(fields["shape"]) else {
                throw bad("\"shape\" must be a list of non-negative integers")
            }
            guard let offsets = naturalNumbers(fields["data_offsets"]), offsets.count == 2,
                  offsets[0] <= offsets[1] else {
                throw bad("\"data_offsets\" must be [begin, end] with 0 <= begin <= end")
            }
            let (begin, end) = (offsets[0], offsets[1])
            guard dtype == "F32" else {
                throw CheckpointError.unsupportedDType(file: file, tensor: name, dtype: dtype)
            }
            guard let byteCount = Safetensors.float32ByteCount(shape), end - begin == byteCount else {
                throw CheckpointError.sizeMismatch(file: file, tensor: name, shape: shape, byteCount: end - begin)
            }
            guard end <= dataLength else {
                throw CheckpointError.truncated(
                    file: file,
                    detail: "tensor \"\(name)\" has data_offsets [\(begin), \(end)] but only \(dataLength) data "
                        + "bytes follow the header")
            }
            entries.append((name, shape, begin, end))
        }
        try requireTiling(entries.map { ($0.name, $0.begin, $0.end) }, dataLength: dataLength, file: file)

        var tensors: [String: StoredTensor] = [:]
        for entry in entries {
            let count = (entry.end - entry.begin) / 4
            var values = [Float](repeating: 0, count: count)
            let base = dataStart + entry.begin
            for index in 0..<count {
                let bits = raw.loadUnaligned(fromByteOffset: base + 4 * index, as: UInt32.self)
                values[index] = Float(bitPattern: UInt32(littleEndian: bits))
            }
            tensors[entry.name] = StoredTensor(shape: entry.shape, values: values)
        }
        return SafetensorsFile(file: file, metadata: metadata, tensors: tensors)
    }

    /// The byte ranges, sorted by start, must follow one another from 0 to `dataLength`.
    private static func requireTiling(_ ranges: [(String, Int, Int)], dataLength: Int, file: String) throws {
        var position = 0
        var previous: String? = nil
        for (name, begin, end) in ranges.sorted(by: { ($0.1, $0.2, $0.0) < ($1.1, $1.2, $1.0) }) {
            if begin < position {
                throw CheckpointError.malformed(
                    file: file,
                    detail: "tensor \"\(name)\" (data_offsets [\(begin), \(end)]) overlaps \"\(previous!)\"")
            }
            if begin > position {
                throw CheckpointError.malformed(
                    file: file,
                    detail: "bytes \(position)..<\(begin) of the data belong to no tensor (before \"\(name)\")")
            }
            position = end
            previous = name
        }
        guard position == dataLength else {
            throw CheckpointError.malformed(
                file: file, detail: "\(dataLength - position) bytes after the last tensor's data belong to no tensor")
        }
    }

    /// The first key that the header's top-level object holds twice, or nil, checked before parsing
    /// so that the message names the tensor. Strings are compared as written.
    static func firstDuplicateKey(in bytes: [UInt8]) -> String? {
        var depth = 0
        var index = 0
        var seen = Set<String>()
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let start = index + 1
                index += 1
                while index < bytes.count && bytes[index] != UInt8(ascii: "\"") {
                    index += bytes[index] == UInt8(ascii: "\\") ? 2 : 1
                }
                let text = String(decoding: bytes[start..<min(index, bytes.count)], as: UTF8.self)
                index += 1
                var next = index
                while next < bytes.count && [0x20, 0x09, 0x0A, 0x0D].contains(bytes[next]) { next += 1 }
                if depth == 1 && next < bytes.count && bytes[next] == UInt8(ascii: ":") {
                    if !seen.insert(text).inserted { return text }
                }
                continue
            }
            if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") { depth += 1 }
            if byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") { depth -= 1 }
            index += 1
        }
        return nil
    }

    /// The bytes of float32 values filling `shape`, or nil if that overflows an Int.
    static func float32ByteCount(_ shape: [Int]) -> Int? {
        var total = 4
        for dimension in shape {
            let (product, overflow) = total.multipliedReportingOverflow(by: dimension)
            if overflow { return nil }
            total = product
        }
        return total
    }

    /// A JSON list of non-negative integers, or nil.
    private static func naturalNumbers(_ value: JSONValue?) -> [Int]? {
        guard case let .array(list)? = value else { return nil }
        let numbers = list.compactMap(\.exactInteger).filter { $0 >= 0 }
        return numbers.count == list.count ? numbers : nil
    }
}

/// The contents of a safetensors file.
public struct SafetensorsFile: Sendable {
    /// The file's path, for messages.
    public let file: String
    /// The `__metadata__` strings (empty when absent).
    public let metadata: [String: String]
    /// Every tensor, by name.
    public let tensors: [String: StoredTensor]

    public init(file: String, metadata: [String: String], tensors: [String: StoredTensor]) {
        self.file = file
        self.metadata = metadata
        self.tensors = tensors
    }

    /// Tensor names in sorted order.
    public var names: [String] { tensors.keys.sorted() }

    /// The values of tensor `name`, which must exist and have shape `shape`.
    public func values(_ name: String, shape: [Int]) throws -> [Float] {
        guard let tensor = tensors[name] else { throw CheckpointError.missingTensor(file: file, tensor: name) }
        guard tensor.shape == shape else {
            throw CheckpointError.wrongShape(file: file, tensor: name, expected: shape, found: tensor.shape)
        }
        return tensor.values
    }
}
