/// PPO's entry in `AlgorithmViewTable`: its verbs are the views in BatchCommands (`batch`, `update`),
/// InspectCommands (`advantages`, `credit`), FileCommands (`export trace`) and TrainCommands (`train ppo`).
struct PPOViews: AlgorithmViews {
    let name = "ppo"
    let trainHelp = """
        train ppo N [FILE]  N PPO iterations of batch_size rollouts each, on the world's training prompts or
                            the prompts of FILE ({"prompt"} or {"input_text"} per line).
        """

    func details(_ verb: AlgorithmVerb) -> String {
        switch verb {
        case .batch:
            return "Each rollout is sampled from the policy; then one pass of the policy, the reference and the\n"
                + "critic gives log-probs and values, the reward model scores each response, and the advantages\n"
                + "are computed and whitened over the whole batch. `reward N`, `advantages N`, `credit N` inspect "
                + "one.\nFILE is JSONL with {\"prompt\": ...} or the seed's {\"input_text\": ...} per line; prompts "
                + "are drawn from it at random."
        case .advantages:
            return "delta_t = r_t + gamma V(s_t+1) - V(s_t), with V after the last token = 0;\n"
                + "raw A_t = delta_t + gamma lambda A_t+1; return_t = raw A_t + V(s_t);\n"
                + "whitened A_t = (raw A_t - batch mean) / batch spread, what the policy loss uses."
        case .credit:
            return "With c = gamma * lambda, raw A_t = sum_l c^l delta_t+l splits exactly into\n"
                + "  score part  = c^(T-1-t) * score   (the reward given only at EOS, discounted back)\n"
                + "  KL part     = sum_l c^l (-beta kl_t+l)\n"
                + "  critic part = sum_l c^l (gamma V(s_t+l+1) - V(s_t+l))"
        case .update:
            return "num_ppo_epochs passes, each over num_mini_batches shuffled minibatches; each minibatch is one "
                + "Adam\nstep on pg_loss + vf_coef * vf_loss. `update step` shows, per token, the ratio, whether it "
                + "was clipped\nand its loss term; after the last step, how the probability of each taken token moved."
        case .export:
            return "The schema is in docs/ppo-trace.md: config under TRL's names, rollouts[] with log-probs, KL,\n"
                + "rewards, advantages and returns per token, updates[] with each Adam step's ratios and losses."
        }
    }

    func batch(_ call: Invocation) throws { try BatchCommands.batch(call) }
    func advantages(_ call: Invocation) throws { try InspectCommands.advantages(call) }
    func credit(_ call: Invocation) throws { try InspectCommands.credit(call) }
    func update(_ call: Invocation) throws { try BatchCommands.update(call) }
    func exportTrace(_ call: Invocation) throws { try FileCommands.exportTrace(call) }

    func train(_ call: Invocation, steps: Int, file: String?, path: String?) throws {
        try TrainCommands.trainPPO(call, iterations: steps, path: path)
    }
}
