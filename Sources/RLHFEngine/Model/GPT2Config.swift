/// The size of a GPT-2 model: every layer reads its dimensions from here.
///
/// Field names follow our own spelled-out style; `huggingFaceNames` maps them to
/// the keys of a Hugging Face `config.json` (n_embd, n_layer, ...).
public struct GPT2Config: Equatable, Sendable {
    /// Number of tokens in the vocabulary (`vocab_size`).
    public var vocabularySize: Int
    /// Longest sequence the position table covers (`n_positions`).
    public var contextLength: Int
    /// Width of every hidden state (`n_embd`).
    public var embeddingWidth: Int
    /// Number of transformer blocks (`n_layer`).
    public var layerCount: Int
    /// Number of attention heads per block (`n_head`); must divide the width.
    public var headCount: Int
    /// Layer-norm epsilon (`layer_norm_epsilon`).
    public var layerNormEpsilon: Float
    /// Standard deviation of initial weights (`initializer_range`).
    public var initializerRange: Float

    public init(
        vocabularySize: Int, contextLength: Int = 32, embeddingWidth: Int = 48,
        layerCount: Int = 2, headCount: Int = 4,
        layerNormEpsilon: Float = 1e-5, initializerRange: Float = 0.02
    ) {
        precondition(embeddingWidth % headCount == 0, "width \(embeddingWidth) is not a multiple of \(headCount) heads")
        self.vocabularySize = vocabularySize
        self.contextLength = contextLength
        self.embeddingWidth = embeddingWidth
        self.layerCount = layerCount
        self.headCount = headCount
        self.layerNormEpsilon = layerNormEpsilon
        self.initializerRange = initializerRange
    }

    /// Width of one attention head.
    public var headWidth: Int { embeddingWidth / headCount }

    /// Width of the MLP's hidden layer: 4x the embedding width, as in GPT-2.
    public var innerWidth: Int { 4 * embeddingWidth }
}
