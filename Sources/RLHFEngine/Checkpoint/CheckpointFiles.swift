import Foundation

/// What can go wrong reading or writing a checkpoint. Every case names the file, and
/// the tensor or field when there is one, so the message says what and where.
public enum CheckpointError: Error, Equatable, CustomStringConvertible {
    /// The file does not exist.
    case missingFile(file: String)
    /// The file exists but could not be read or written.
    case ioFailure(file: String, reason: String)
    /// The file ends before the data it announces (header length or data offsets past the end).
    case truncated(file: String, detail: String)
    /// The safetensors header, or a JSON file, is not what it should be.
    case malformed(file: String, detail: String)
    /// A tensor is stored in a dtype other than F32.
    case unsupportedDType(file: String, tensor: String, dtype: String)
    /// A tensor's byte range does not hold shape-many float32 values.
    case sizeMismatch(file: String, tensor: String, shape: [Int], byteCount: Int)
    /// A tensor the model needs is absent.
    case missingTensor(file: String, tensor: String)
    /// A tensor the model does not have is present.
    case unexpectedTensor(file: String, tensor: String)
    /// A tensor has a different shape from the one the model needs.
    case wrongShape(file: String, tensor: String, expected: [Int], found: [Int])
    /// A tensor holds a NaN or an infinity (the first, at a flat index, is named).
    case nonFinite(file: String, tensor: String, index: Int, value: Float)
    /// A JSON file lacks a field.
    case missingField(file: String, field: String)
    /// A JSON field has a value we cannot use.
    case invalidField(file: String, field: String, detail: String)

    public var description: String {
        switch self {
        case let .missingFile(file):
            return "\(file): no such file"
        case let .ioFailure(file, reason):
            return "\(file): \(reason)"
        case let .truncated(file, detail):
            return "\(file): truncated: \(detail)"
        case let .malformed(file, detail):
            return "\(file): \(detail)"
        case let .unsupportedDType(file, tensor, dtype):
            return "\(file): tensor \"\(tensor)\" has dtype \(dtype); only F32 is supported"
        case let .sizeMismatch(file, tensor, shape, byteCount):
            let expected = Safetensors.float32ByteCount(shape).map { "\($0) bytes" } ?? "more bytes than an Int counts"
            return "\(file): tensor \"\(tensor)\" of shape \(shape) needs \(expected) but its data_offsets span "
                + "\(byteCount)"
        case let .missingTensor(file, tensor):
            return "\(file): tensor \"\(tensor)\" is missing"
        case let .unexpectedTensor(file, tensor):
            return "\(file): unexpected tensor \"\(tensor)\""
        case let .wrongShape(file, tensor, expected, found):
            return "\(file): tensor \"\(tensor)\" has shape \(found), expected \(expected)"
        case let .nonFinite(file, tensor, index, value):
            return "\(file): tensor \"\(tensor)\" holds \(value) at index \(index); every weight must be finite"
        case let .missingField(file, field):
            return "\(file): field \"\(field)\" is missing"
        case let .invalidField(file, field, detail):
            return "\(file): field \"\(field)\": \(detail)"
        }
    }
}

/// Reading and writing whole files, with `CheckpointError`s, through `SafeFile`.
public enum CheckpointFiles {
    /// The contents of a file; a missing file is `.missingFile`.
    static func read(_ url: URL, fileSystem: any FileSystem = SystemFileSystem()) throws -> Data {
        let data: Data?
        do {
            data = try SafeFile.readIfPresent(url.path, fileSystem: fileSystem)
        } catch let error as FileError {
            throw CheckpointError.ioFailure(file: url.path, reason: error.reason)
        }
        guard let data else { throw CheckpointError.missingFile(file: url.path) }
        return data
    }

    /// Writes `data` to `url` through a temporary file renamed into place (`SafeFile.write`),
    /// so `url` holds either its old contents or all of the new ones.
    public static func writeAtomically(_ data: Data, to url: URL,
                                       fileSystem: any FileSystem = SystemFileSystem()) throws {
        do {
            try SafeFile.write(data, to: url.path, fileSystem: fileSystem)
        } catch let error as FileError {
            throw CheckpointError.ioFailure(file: error.path, reason: error.reason)
        }
    }
}
