import RLHFEngine

/// The words of a world (the recipe's `vocabulary` section): every token in id order,
/// with the padding and end tokens among them.
///
/// The built-in world's 62 tokens are two special tokens, three punctuation marks and the words
/// of the seed article's example ("Create a description for Plantation Palms.", "Enjoy some fun in
/// the sun at Gulf Shores.", "A Tranquil Oasis of Natural Beauty.") plus what its sentences need.
public struct WorldVocabulary: Sendable, Equatable {
    public var padToken: String
    public var eosToken: String
    /// Every token, in id order.
    public var tokens: [String]

    /// The world's tokenizer.
    public var tokenizer: Tokenizer { Tokenizer(tokens: tokens, padToken: padToken, eosToken: eosToken) }

    // The built-in world's vocabulary, for code and tests that name it.
    public static let padToken = WorldRecipe.builtIn.vocabulary.padToken
    public static let eosToken = WorldRecipe.builtIn.vocabulary.eosToken
    public static let tokens = WorldRecipe.builtIn.vocabulary.tokens
    public static let tokenizer = WorldRecipe.builtIn.vocabulary.tokenizer
}
