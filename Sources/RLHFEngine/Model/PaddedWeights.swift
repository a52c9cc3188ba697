/// An (in x out) weight matrix copied with rows `stride` floats apart, `stride` = out rounded up to
/// `IncrementalDecoder.panelColumns`, zeros in the columns after out: the tiles then read every panel
/// in place. Made only for a layer whose out is not such a multiple already, unless `always` (the decoder copies
/// every layer, so that no token reads the model's arrays: the copy of a whole-panel layer has no padding).
final class PaddedWeights {
    let pointer: UnsafeMutablePointer<Float>
    let stride: Int

    init?(_ layer: Affine, always: Bool = false) {
        let (rows, columns) = (layer.weight.shape[0], layer.weight.shape[1])
        stride = IncrementalDecoder.paddedWidth(columns)
        guard always || stride != columns else { return nil }
        pointer = .allocate(capacity: Swift.max(rows * stride, 1))
        // Each row's values, then its zeros: every float written once.
        layer.weight.data.withUnsafeBufferPointer { source in
            for row in 0..<rows {
                (pointer + row * stride).initialize(from: source.baseAddress! + row * columns, count: columns)
                (pointer + row * stride + columns).initialize(repeating: 0, count: stride - columns)
            }
        }
    }

    deinit { pointer.deallocate() }
}
