import Foundation

/// A fresh folder under the system's temporary directory, removed when the value is dropped.
final class TemporaryFolder {
    let path: String

    init() {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("rlhf-stages-tests-\(UUID().uuidString)").path
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// Writes `text` to `name` in the folder and returns its path.
    func file(_ name: String, _ text: String) -> String {
        let file = (path as NSString).appendingPathComponent(name)
        try! Data(text.utf8).write(to: URL(fileURLWithPath: file))
        return file
    }

    /// A path in the folder, without creating anything.
    func pathFor(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }
}
