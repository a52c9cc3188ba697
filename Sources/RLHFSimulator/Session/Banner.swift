/// The greeting of the interactive REPL.
public enum Banner {
    public static func text(style: Style) -> String {
        """
        \(style.bold("rlhf")): step through RLHF on a tiny GPT-2 (62 words, 2 layers).
        The policy is the SFT model; the reward model judges whole responses at EOS.
        Try: prompt create a description for plantation palms .   then  step, logits, finish, reward, credit
        `help` lists every command; `lesson` lists the lessons; Ctrl-D quits.
        """
    }
}
