#!/usr/bin/env python3
"""The PyTorch side of the README's speed table: one PPO iteration as `rlhf bench` times it.

    python3 tools/torch_ppo_bench.py [--runs 9] [--rounds 3] [--rlhf EXE] [--json]
    python3 tools/torch_ppo_bench.py --ladder [--runs 5] [--rounds 3]

The models are the shipped world's (lessons/world/sft as policy and reference, lessons/world/reward as the
reward model; the policy gets a fresh value head, TRL's v_head.summary), the batch and the update are those of
Sources/RLHFSimulator/Benchmark.swift with the default PPOConfig:

  generation  16 random 8-token prompts (ids neither pad nor EOS), 16 response tokens each, sampled at
              temperature 1 with no stop at EOS: batched, one new position at a time with the key/value cache;
  scoring     one batched pass of the policy (logits and values) and of the reference over the 24-token
              episodes, log-probs of the response tokens with logits / (1 + 1e-7), one batched pass of the
              reward model read at each episode's last token; k1 KL, shaped rewards, GAE (gamma 1, lambda
              0.95), whitened advantages;
  update      4 epochs x 2 minibatches of 8 rollouts: forward, clipped policy loss + 0.1 x clipped value loss,
              backward, gradient clipping to norm 1, Adam (lr 3e-4, betas 0.9/0.999, eps 1e-8), the entropy of
              each kept distribution without a graph; then one closing policy pass for the log-probs after.

Eager mode, float32, torch.set_num_threads(2), fresh copies of the models for every run, one warm-up run,
then the median of --runs runs of each phase and of the whole. With --rounds N it alternates N times between
its own measurement and `rlhf bench --quick --json` (the rlhf executable, default .build/release/rlhf) and
prints both sets of medians, so that the two are measured under the same load.

With --ladder it times the same iteration on the ladder of `rlhf bench --ladder` instead (randomly
initialised GPT-2 models of the world's vocabulary, 62, and context, 32: d48 L2, d96 L4, d192 L6 with 4 heads,
each at batch 16 and 64; minibatches of half the batch) and, with --rounds, alternates with
`rlhf bench --ladder --json`, rung by rung in one table: time per iteration, GFLOP/s (the FLOP count of
rlhf's report) and the ratio rlhf / PyTorch; with rlhf's bound (the rung's FLOP over its measured no-FMA
arithmetic ceiling, the least time its contract allows; the best round's) and that bound over PyTorch's time.

On a machine busy with other work, run it with OMP_WAIT_POLICY=PASSIVE: libgomp's threads otherwise spin while
they wait, and two of them on two shared cores made one batched forward pass ~85x slower (312 ms against 3.6 ms).
"""
import argparse
import copy
import json
import pathlib
import statistics
import subprocess
import sys
import time

import torch
import torch.nn.functional as F
import transformers
from transformers import GPT2ForSequenceClassification, GPT2LMHeadModel

ROOT = pathlib.Path(__file__).resolve().parent.parent
WORLD = ROOT / "lessons" / "world"

BATCH, PROMPT, RESPONSE = 16, 8, 16
EPOCHS, MINIBATCHES = 4, 2
KL_COEF, GAMMA, LAM, CLIPRANGE, CLIPRANGE_VALUE, VF_COEF = 0.05, 1.0, 0.95, 0.2, 0.2, 0.1
LEARNING_RATE, MAX_GRAD_NORM, TEMPERATURE = 3e-4, 1.0, 1.0
PAD, EOS = 0, 1


def response_logprobs(logits):
    """log pi(a_t | s_t) of the response tokens, logits / (temperature + 1e-7) as TRL: (B, R)."""
    return logits[:, PROMPT - 1:-1] / (TEMPERATURE + 1e-7)


def forward_policy(policy, value_head, episodes):
    out = policy(episodes, output_hidden_states=True)
    scaled = response_logprobs(out.logits)
    logprobs = scaled.log_softmax(-1).gather(-1, episodes[:, PROMPT:, None])[..., 0]
    values = value_head(out.hidden_states[-1])[:, PROMPT - 1:-1, 0]
    return logprobs, values, scaled


def whiten(x):
    return (x - x.mean()) / torch.sqrt(x.var() + 1e-8)  # Bessel-corrected variance, as TRL


def iteration(sft, reward_model, generator, batch=BATCH):
    """One PPO iteration on fresh copies; returns the seconds of generation, scoring and update."""
    BATCH = batch  # noqa: N806 (the batch of this rung)
    policy, reference, reward = copy.deepcopy(sft), copy.deepcopy(sft), copy.deepcopy(reward_model)
    width = policy.config.n_embd
    value_head = torch.nn.Linear(width, 1)
    optimizer = torch.optim.Adam(list(policy.parameters()) + list(value_head.parameters()), lr=LEARNING_RATE,
                                 betas=(0.9, 0.999), eps=1e-8)
    vocabulary = policy.config.vocab_size
    prompts = torch.randint(2, vocabulary, (BATCH, PROMPT), generator=generator)

    start = time.perf_counter()
    with torch.no_grad():
        out = policy(prompts, use_cache=True)
        cache, tokens = out.cache, [prompts]
        logits = out.logits[:, -1]
        for step in range(RESPONSE):
            token = torch.multinomial(F.softmax(logits / TEMPERATURE, -1), 1, generator=generator)
            tokens.append(token)
            if step + 1 < RESPONSE:
                out = policy(token, cache=cache, use_cache=True)
                cache, logits = out.cache, out.logits[:, -1]
        episodes = torch.cat(tokens, 1)  # (B, PROMPT + RESPONSE)
    generated = time.perf_counter()

    with torch.no_grad():
        old_logprobs, old_values, _ = forward_policy(policy, value_head, episodes)
        ref_scaled = response_logprobs(reference(episodes).logits)
        ref_logprobs = ref_scaled.log_softmax(-1).gather(-1, episodes[:, PROMPT:, None])[..., 0]
        scores = reward(episodes, attention_mask=torch.ones_like(episodes)).logits[:, 0]  # at the last token
        kl = old_logprobs - ref_logprobs
        rewards = -KL_COEF * kl
        rewards[:, -1] += scores - 1.0  # no EOS: missing_eos_penalty 1 subtracted
        advantages = torch.zeros_like(rewards)
        running = torch.zeros(BATCH)
        for t in reversed(range(RESPONSE)):
            next_value = old_values[:, t + 1] if t + 1 < RESPONSE else torch.zeros(BATCH)
            delta = rewards[:, t] + GAMMA * next_value - old_values[:, t]
            running = delta + GAMMA * LAM * running
            advantages[:, t] = running
        returns = advantages + old_values
        advantages = whiten(advantages)
    scored = time.perf_counter()

    policy.train()
    for _ in range(EPOCHS):
        order = torch.randperm(BATCH, generator=generator)
        for group in range(MINIBATCHES):
            rows = order[group * BATCH // MINIBATCHES:(group + 1) * BATCH // MINIBATCHES]
            logprobs, values, scaled = forward_policy(policy, value_head, episodes[rows])
            ratio = torch.exp(logprobs - old_logprobs[rows])
            pg = torch.max(-advantages[rows] * ratio,
                           -advantages[rows] * ratio.clamp(1 - CLIPRANGE, 1 + CLIPRANGE)).mean()
            clipped = old_values[rows] + (values - old_values[rows]).clamp(-CLIPRANGE_VALUE, CLIPRANGE_VALUE)
            vf = 0.5 * torch.max((values - returns[rows]) ** 2, (clipped - returns[rows]) ** 2).mean()
            loss = pg + VF_COEF * vf
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(list(policy.parameters()) + list(value_head.parameters()), MAX_GRAD_NORM)
            optimizer.step()
            with torch.no_grad():
                probabilities = scaled.softmax(-1)
                _ = -(probabilities * scaled.log_softmax(-1)).sum(-1)  # entropy per token, as rlhf records it
    with torch.no_grad():
        _ = forward_policy(policy, value_head, episodes)[0]  # the closing log-probs after the update
    end = time.perf_counter()
    return generated - start, scored - generated, end - scored


def measure(runs, seed, rung=None):
    """Medians of `runs` iterations on the world's models, or on random models of `rung`."""
    if rung is None:
        sft = GPT2LMHeadModel.from_pretrained(WORLD / "sft").float()
        reward = GPT2ForSequenceClassification.from_pretrained(WORLD / "reward").float().eval()
        batch = BATCH
    else:
        config = transformers.GPT2Config(vocab_size=62, n_positions=32, n_embd=rung["n_embd"],
                                         n_layer=rung["n_layer"], n_head=rung["n_head"], pad_token_id=PAD,
                                         eos_token_id=EOS, bos_token_id=EOS, num_labels=1)
        torch.manual_seed(seed)
        sft, reward = GPT2LMHeadModel(config).float(), GPT2ForSequenceClassification(config).float().eval()
        batch = rung["batch_size"]
    sft.eval()
    generator = torch.Generator().manual_seed(seed)
    iteration(sft, reward, generator, batch)  # warm-up
    phases = [iteration(sft, reward, generator, batch) for _ in range(runs)]
    median = lambda values: statistics.median(values) * 1000
    return {"ppo_iteration_ms": median([sum(p) for p in phases]),
            "ppo_phases_ms": {"generation": median([p[0] for p in phases]), "scoring": median([p[1] for p in phases]),
                              "update": median([p[2] for p in phases])}}


def rlhf_bench(executable):
    result = subprocess.run([str(executable), "bench", "--quick", "--json"], capture_output=True, text=True,
                            check=True)
    report = json.loads(result.stdout)
    return {"ppo_iteration_ms": report["ppo_iteration_ms"], "ppo_phases_ms": report["ppo_phases_ms"]}


LADDER = [{"n_embd": width, "n_layer": layers, "n_head": 4, "batch_size": batch}
          for width, layers in ((48, 2), (96, 4), (192, 6)) for batch in (16, 64)]


def rung_name(rung):
    return f"d{rung['n_embd']} L{rung['n_layer']} h{rung['n_head']} batch {rung['batch_size']}"


def ladder(arguments):
    """The ladder, alternating with `rlhf bench --ladder --json` when --rounds is given; one table."""
    pytorch = {rung_name(rung): [] for rung in LADDER}
    rlhf, flop, bound = {name: [] for name in pytorch}, {}, {name: [] for name in pytorch}
    for index in range(max(arguments.rounds, 1)):
        for rung in LADDER:
            figures = measure(arguments.runs, arguments.seed + index, rung)
            pytorch[rung_name(rung)].append(figures["ppo_iteration_ms"])
            print(f"round {index + 1}: pytorch {rung_name(rung):24s} {figures['ppo_iteration_ms']:8.1f} ms",
                  file=sys.stderr)
        if arguments.rounds:
            result = subprocess.run([str(arguments.rlhf), "bench", "--ladder", "--json", "--repetitions",
                                     str(arguments.runs)], capture_output=True, text=True, check=True)
            for row in json.loads(result.stdout):
                name = rung_name(row)
                rlhf[name].append(row["ppo_iteration_ms"])
                flop[name] = row["gflop"]
                if row.get("bound_ms") is not None:
                    bound[name].append(row["bound_ms"])
                print(f"round {index + 1}: rlhf    {name:24s} {row['ppo_iteration_ms']:8.1f} ms", file=sys.stderr)
    rows = []
    for name, times in pytorch.items():
        row = {"rung": name, "pytorch_ms": statistics.median(times)}
        if rlhf[name]:
            row.update(rlhf_ms=statistics.median(rlhf[name]), gflop=flop[name])
            row["ratio_rlhf_to_pytorch"] = row["rlhf_ms"] / row["pytorch_ms"]
        if bound[name]:  # the least time the no-FMA ceiling allows (its best round), and that over PyTorch's
            row.update(bound_ms=min(bound[name]))
            row["ratio_bound_to_pytorch"] = row["bound_ms"] / row["pytorch_ms"]
        rows.append(row)
    if arguments.json:
        print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "runs": arguments.runs,
                          "rounds": arguments.rounds, "ladder": rows}, indent=1))
        return 0
    print(f"medians of {max(arguments.rounds, 1)} round(s), {arguments.runs} runs each; torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads, eager")
    print(f"{'rung':26s} {'PyTorch':>10s} {'rlhf':>10s} {'rlhf/PyTorch':>13s} {'GFLOP/s PyTorch':>16s} "
          f"{'GFLOP/s rlhf':>13s} {'rlhf bound':>11s} {'bound/PyTorch':>14s}")
    for row in rows:
        if "rlhf_ms" not in row:
            print(f"{row['rung']:26s} {row['pytorch_ms']:8.1f} ms")
            continue
        print(f"{row['rung']:26s} {row['pytorch_ms']:8.1f} ms {row['rlhf_ms']:7.1f} ms "
              f"{row['ratio_rlhf_to_pytorch']:13.2f} {row['gflop'] / row['pytorch_ms'] * 1000:16.1f} "
              f"{row['gflop'] / row['rlhf_ms'] * 1000:13.1f}"
              + (f" {row['bound_ms']:8.1f} ms {row['ratio_bound_to_pytorch']:14.3f}" if "bound_ms" in row else ""))
    return 0


def line(name, figures):
    phases = figures["ppo_phases_ms"]
    return (f"{name:8s} one PPO iteration {figures['ppo_iteration_ms']:6.1f} ms   generation / scoring / update "
            f"{phases['generation']:.1f} / {phases['scoring']:.1f} / {phases['update']:.1f} ms")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=9, help="timed runs after the warm-up (median reported)")
    parser.add_argument("--rounds", type=int, default=0,
                        help="alternate this many times with `rlhf bench --quick --json` (0: PyTorch only)")
    parser.add_argument("--rlhf", type=pathlib.Path, default=ROOT / ".build" / "release" / "rlhf")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--ladder", action="store_true", help="the ladder of `rlhf bench --ladder`")
    arguments = parser.parse_args()
    torch.set_num_threads(2)
    transformers.utils.logging.disable_progress_bar()
    transformers.utils.logging.set_verbosity_error()
    torch.manual_seed(arguments.seed)
    if arguments.rounds and not arguments.rlhf.exists():
        sys.exit(f"{arguments.rlhf}: no rlhf executable; build one with `swift build -c release` or pass --rlhf")

    if arguments.ladder:
        return ladder(arguments)
    rounds = []
    for index in range(max(arguments.rounds, 1)):
        figures = {"pytorch": measure(arguments.runs, arguments.seed + index)}
        if arguments.rounds:
            figures["rlhf"] = rlhf_bench(arguments.rlhf)
        rounds.append(figures)
        if not arguments.json:
            for name, result in figures.items():
                print(f"round {index + 1}: " + line(name, result))
    summary = {"torch": torch.__version__, "threads": torch.get_num_threads(), "runs": arguments.runs,
               "rounds": rounds}
    if arguments.rounds:
        for name in ("pytorch", "rlhf"):
            totals = [r[name]["ppo_iteration_ms"] for r in rounds]
            summary[f"{name}_median_of_rounds_ms"] = statistics.median(totals)
        summary["ratio_rlhf_to_pytorch"] = summary["rlhf_median_of_rounds_ms"] / summary["pytorch_median_of_rounds_ms"]
    if arguments.json:
        print(json.dumps(summary, indent=1))
    elif arguments.rounds:
        print(f"medians of the rounds: PyTorch {summary['pytorch_median_of_rounds_ms']:.1f} ms, rlhf "
              f"{summary['rlhf_median_of_rounds_ms']:.1f} ms "
              f"(rlhf / PyTorch = {summary['ratio_rlhf_to_pytorch']:.2f}); "
              f"torch {torch.__version__}, {torch.get_num_threads()} threads, eager")
    return 0


if __name__ == "__main__":
    sys.exit(main())
