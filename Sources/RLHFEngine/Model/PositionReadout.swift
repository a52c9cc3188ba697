import Foundation

/// Hidden states of chosen positions only, for rows of different lengths, with no graph: the one
/// inference path of `GPT2` (`hiddenStates` and `hiddenStates(packed:)` without a graph read every
/// position through it; rollouts read a response, a reward model its last token).
extension GPT2 {
    /// For each row, the final hidden states (after ln_f) of its positions `first[r] ..< rows[r].count`,
    /// row after row: (sum of rows[r].count - first[r], C), with no graph. A row none of whose positions
    /// is read (first[r] = rows[r].count, possibly 0) is not fed.
    ///
    /// Each row is fed as it stands, without right padding, through an `IncrementalDecoder`, as
    /// `hiddenStates` feeds each row when no graph is recorded. Causal attention and row-wise arithmetic
    /// make a position's hidden state depend only on the tokens up to it, so every value is the same bits
    /// `hiddenStates` gives that position for any padding of the batch (tests check); the padding's
    /// positions and the positions before `first[r]` are simply not read out, and the padding is not fed.
    /// Rows are independent, so a large batch is split between two threads by row, as `hiddenStates` does;
    /// the chunks share the decoders a thread has finished with (`DecoderShelf`).
    public func hiddenStates(ofRows rows: [[Int]], from first: [Int]) -> Tensor {
        precondition(rows.count == first.count, "hiddenStates: \(first.count) first positions for \(rows.count) rows")
        precondition(!rows.isEmpty, "hiddenStates needs at least one row")
        let width = config.embeddingWidth
        var starts = [Int](repeating: 0, count: rows.count + 1)  // each row's first output row
        for (index, row) in rows.enumerated() {
            precondition(row.count <= config.contextLength,
                         "sequence of \(row.count) tokens exceeds the context of \(config.contextLength)")
            precondition(first[index] >= 0 && first[index] <= row.count,
                         "hiddenStates: first position \(first[index]) outside a row of \(row.count)")
            starts[index + 1] = starts[index] + row.count - first[index]
        }
        let offsets = starts
        let total = offsets[rows.count] * width
        let tokens = rows.reduce(0) { $0 + $1.count }
        // Every chosen position is written once, so the buffer starts uninitialised.
        let output = [Float](unsafeUninitializedCapacity: total) { result, initialised in
            initialised = total
            let address = UInt(bitPattern: result.baseAddress)
            let shelf = DecoderShelf(model: self)
            ParallelRows.run(rows: rows.count, tokens: tokens) { part in
                let target = UnsafeMutablePointer<Float>(bitPattern: address)!
                let decoder = shelf.take()
                defer { shelf.put(decoder) }
                for row in part where offsets[row + 1] > offsets[row] {  // a row with nothing to read is not fed
                    decoder.reset()
                    decoder.appendHidden(rows[row], from: first[row], into: target + offsets[row] * width)
                }
            }
        }
        return Tensor(shape: [offsets[rows.count], width], data: output)
    }
}

/// The decoders of one pass: a chunk takes one and puts it back when done, so the pass makes one per
/// thread at most (each a copy of every weight) instead of one per chunk. A decoder is reset before each
/// row, so which one a row gets never changes a value. The model is only read.
private final class DecoderShelf: @unchecked Sendable {
    private let model: GPT2
    private let lock = NSLock()
    private var decoders: [IncrementalDecoder] = []

    init(model: GPT2) { self.model = model }

    func take() -> IncrementalDecoder {
        lock.lock()
        let decoder = decoders.popLast()
        lock.unlock()
        return decoder ?? IncrementalDecoder(model: model)
    }

    func put(_ decoder: IncrementalDecoder) {
        lock.lock()
        decoders.append(decoder)
        lock.unlock()
    }
}
