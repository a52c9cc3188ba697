/// Copying a decoder's cache: `Generator` feeds a prompt once and starts every sample of it from a copy.
extension IncrementalDecoder {
    /// The cache after some tokens: what a decoder of the same model needs to continue from them.
    public struct Snapshot: Sendable {
        public let tokens: [Int]
        /// Per layer: keys [C][position] and values [position][C] of the first `tokens.count` positions.
        let keys: [[Float]], values: [[Float]]
    }

    /// The cache of the tokens fed so far.
    public func snapshot() -> Snapshot {
        let (count, c) = (tokens.count, width)
        let copiedKeys = keys.map { cache in
            [Float](unsafeUninitializedCapacity: c * count) { target, initialised in
                for row in 0..<c {
                    (target.baseAddress! + row * count).update(from: cache + row * keyLeading, count: count)
                }
                initialised = c * count
            }
        }
        let copiedValues = values.map { Array(UnsafeBufferPointer(start: $0, count: count * c)) }
        return Snapshot(tokens: tokens, keys: copiedKeys, values: copiedValues)
    }

    /// Forgets every token fed so far and continues from `snapshot` instead (taken from a decoder of the
    /// same model): the cache holds the same bits as after feeding its tokens here.
    public func restore(_ snapshot: Snapshot) {
        let (count, c) = (snapshot.tokens.count, width)
        precondition(count <= context && snapshot.keys.count == keys.count && snapshot.values.count == values.count
                     && snapshot.keys.allSatisfy { $0.count == c * count }
                     && snapshot.values.allSatisfy { $0.count == c * count },
                     "restore: a snapshot of another model's shape")
        for (cache, saved) in zip(keys, snapshot.keys) {
            saved.withUnsafeBufferPointer { source in
                for row in 0..<c {
                    (cache + row * keyLeading).update(from: source.baseAddress! + row * count, count: count)
                }
            }
        }
        for (cache, saved) in zip(values, snapshot.values) {
            saved.withUnsafeBufferPointer { cache.update(from: $0.baseAddress!, count: count * c) }
        }
        // Into the decoder's own array (kept capacity), not the snapshot's: the next append then grows nothing.
        tokens.removeAll(keepingCapacity: true)
        tokens.append(contentsOf: snapshot.tokens)
    }
}
