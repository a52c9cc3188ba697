/// Token rows of different lengths laid end to end, with no padding, for one pass of `GPT2`.
///
/// A batch right-padded to its longest row sends every padding position through every block only
/// for a mask to drop it. Packed, row b is the rows starts[b] ..< starts[b] + lengths[b] of one
/// (N, ...) tensor, N the sum of the lengths, and the model computes the N real positions alone:
///
///   tokens    = row 0's tokens, then row 1's, ...                (N)
///   positions = 0 ..< lengths[0], then 0 ..< lengths[1], ...     (N)
///
/// Each real position gets the bits it gets in the padded batch, values and gradients alike:
/// - forward, every op but attention works row by row and gives a row the same bits whatever other
///   rows the tensor holds (the products, layer norm, GELU, the embeddings), and causal attention
///   never lets a real position read the padding after it (`causalSelfAttention(sequenceLengths:)`
///   attends within each row);
/// - backward, a loss that ignores the padding gives the padding exact zeros (+0 or -0) as gradients,
///   so every term it adds to a sum across rows (the weight, bias, layer-norm and embedding gradients,
///   attention's key and value gradients) is +-0; each such sum starts from +0 and runs over the rows
///   in order, so it is never -0, and adding +-0 leaves it as it is. Dropping those terms, with the
///   others in their order, gives the same bits.
public struct PackedRows: Sendable {
    /// The rows as given.
    public let rows: [[Int]]
    /// Each row's tokens in turn, (N).
    public let tokens: [Int]
    /// The position of each token within its row, (N).
    public let positions: [Int]
    /// Where each row starts in the packed order, and its length.
    public let starts: [Int]
    public let lengths: [Int]

    public init(_ rows: [[Int]]) {
        precondition(!rows.isEmpty && rows.allSatisfy { !$0.isEmpty }, "packed rows need at least one token each")
        self.rows = rows
        tokens = rows.flatMap { $0 }
        positions = rows.flatMap { 0..<$0.count }
        lengths = rows.map(\.count)
        var (starts, start) = ([Int](), 0)
        for length in lengths { starts.append(start); start += length }
        self.starts = starts
    }

    /// N, the number of real positions.
    public var count: Int { tokens.count }

    /// Where position `position` of row `row` is in the packed order.
    public func index(row: Int, position: Int) -> Int { starts[row] + position }

    /// Where each row's last token is in the packed order, (B).
    public var lastIndices: [Int] { zip(starts, lengths).map { $0 + $1 - 1 } }
}

extension GPT2 {
    /// The last hidden states (after the final layer norm) of rows of any lengths, packed: (N, C), row b's
    /// positions at packed.starts[b] ..< packed.starts[b] + packed.lengths[b]. Each is the bits
    /// `hiddenStates` gives that position in the batch right-padded to its longest row, and a loss that
    /// reads only these gives every parameter the bits of its gradient there (see `PackedRows`).
    public func hiddenStates(packed: PackedRows) -> Tensor {
        precondition(packed.lengths.max()! <= config.contextLength,
                     "sequence of \(packed.lengths.max()!) tokens exceeds the context of \(config.contextLength)")
        if !GradientMode.isRecording {
            // No graph is wanted: the inference path computes the same bits without one, every position read.
            return hiddenStates(ofRows: packed.rows, from: [Int](repeating: 0, count: packed.rows.count))
        }
        let tokenVectors = tokenEmbedding.embedding(packed.tokens, shape: [packed.count])           // (N, C)
        let positionVectors = positionEmbedding.embedding(packed.positions, shape: [packed.count])  // (N, C)
        var hidden = tokenVectors + positionVectors                                                  // (N, C)
        for block in blocks { hidden = block(hidden, sequenceLengths: packed.lengths) }
        return finalNorm(hidden)
    }
}
