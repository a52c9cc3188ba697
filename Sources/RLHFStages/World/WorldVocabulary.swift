import RLHFEngine

/// The words of the built-in world: a holiday-resort copywriting desk.
///
/// 62 tokens in all (the limit is 64): two special tokens, three punctuation marks
/// and the words of the seed article's example ("Create a description for Plantation
/// Palms.", "Enjoy some fun in the sun at Gulf Shores.", "A Tranquil Oasis of Natural
/// Beauty.") plus what the world's sentences need.
public enum WorldVocabulary {
    public static let padToken = "<pad>"
    public static let eosToken = "<|endoftext|>"

    /// Every token, in id order.
    public static let tokens: [String] = [
        padToken, eosToken,
        ".", "!", ",",
        // From the seed's example lines.
        "create", "a", "description", "for", "plantation", "palms",
        "enjoy", "some", "fun", "in", "the", "sun", "at", "gulf", "shores",
        "tranquil", "oasis", "of", "natural", "beauty",
        // Prompts.
        "describe", "write", "an", "ad",
        // Places.
        "coral", "bay", "pine", "lake", "sandy", "cove",
        // Lively words.
        "swim", "surf", "warm", "beach", "great",
        // Calm words.
        "quiet", "calm", "relax", "rest",
        // Everything else the sentences need.
        "and", "is", "to", "on", "your", "family", "food", "nights", "views", "water",
        "perfect", "place", "come", "discover", "by", "with", "stay", "days",
    ]

    /// The world's tokenizer.
    public static let tokenizer = Tokenizer(tokens: tokens, padToken: padToken, eosToken: eosToken)
}
