#!/usr/bin/env python3
"""Run TRL 0.11.4's PPOTrainer.step() on rlhf's batch and compare every number with rlhf's trace.

    python3 tools/check_trl_ppo.py CHECKPOINT_DIR TRACE [--tolerance T]

CHECKPOINT_DIR must hold the models exactly as they were when the batch was collected, with Adam fresh; TRACE
is that batch and its update (`export trace`). In the REPL (`load` starts a fresh optimiser):

    seed 5
    train ppo 2            # optional: a policy that differs from the reference
    save /tmp/a
    load /tmp/a            # the same weights, a fresh Adam
    batch 16
    save /tmp/ckpt         # the models that collected the batch
    update
    export trace /tmp/trace.json

TRL's old PPO (TRL <= 0.11, `AutoModelForCausalLMWithValueHead`, the value head on the policy's trunk) is the
one rlhf follows. The script builds it from CHECKPOINT_DIR/policy (value head from value_head.safetensors,
dropout 0) and CHECKPOINT_DIR/reference with the trace's settings (batch_size 16, mini_batch_size 16 /
num_mini_batches, ppo_epochs, learning rate, gamma, lam, clip ranges, vf_coef, kl_coef fixed, max_grad_norm),
feeds step() the trace's prompts, responses and scores (the score after the missing-EOS rule: TRL 0.11 has
none), makes np.random.permutation return rlhf's minibatch order, and records what step() computes. It compares

  - per token: log-probs, reference log-probs, values, KL, shaped rewards, returns and whitened advantages;
  - per optimiser step: pg_loss, vf_loss, loss, clipfrac, vf_clipfrac, approxkl;

and prints the largest absolute difference of each; it exits 1 when one exceeds the tolerance (default 1e-4).

Two of TRL 0.11.4's known differences are set aside, and said so: its gradient clipping uses an iterator of the
parameters that the first step exhausts, so it clips only the first step (the script gives it a list, as rlhf
clips every step); and its log-probs use temperature 1 where rlhf divides the logits by (1 + 1e-7).

TRL 0.11.4 needs transformers 4.x: use a separate virtualenv (tools/requirements-trl.txt).
"""
import argparse
import json
import pathlib
import sys
from unittest import mock

import numpy as np
import torch
from safetensors.torch import load_file
from transformers import PreTrainedTokenizerFast
from trl import AutoModelForCausalLMWithValueHead, PPOConfig, PPOTrainer


def value_head_model(folder):
    model = AutoModelForCausalLMWithValueHead.from_pretrained(str(folder), summary_dropout_prob=0.0)
    if (folder / "value_head.safetensors").exists():
        tensors = load_file(str(folder / "value_head.safetensors"))
        model.v_head.summary.weight.data.copy_(tensors["v_head.summary.weight"])
        model.v_head.summary.bias.data.copy_(tensors["v_head.summary.bias"])
    return model.float()


def run_trl(checkpoint, trace):
    c = trace["config"]
    rollouts, updates = trace["rollouts"], trace["updates"]
    if c["whiten_rewards"] or c["kl_estimator"] != "k1" or c["entropy_coef"] != 0:
        sys.exit("the trace uses settings TRL 0.11.4's step() does not have (whiten_rewards, k3 or entropy_coef)")
    tokenizer = PreTrainedTokenizerFast(tokenizer_file=str(checkpoint / "policy" / "tokenizer.json"),
                                        pad_token="<pad>", eos_token="<|endoftext|>")
    batch = len(rollouts)
    config = PPOConfig(batch_size=batch, mini_batch_size=batch // c["num_mini_batches"],
                       ppo_epochs=c["num_ppo_epochs"], learning_rate=c["learning_rate"],
                       init_kl_coef=c["kl_coef_used"], adap_kl_ctrl=False, kl_penalty="kl", gamma=c["gamma"],
                       lam=c["lam"], cliprange=c["cliprange"], cliprange_value=c["cliprange_value"],
                       vf_coef=c["vf_coef"], max_grad_norm=c["max_grad_norm"], whiten_rewards=False,
                       gradient_accumulation_steps=1, seed=0, log_with=None)
    policy, reference = value_head_model(checkpoint / "policy"), value_head_model(checkpoint / "reference")
    optimizer = torch.optim.Adam(policy.parameters(), lr=c["learning_rate"],
                                 betas=(c["adam_beta1"], c["adam_beta2"]), eps=c["adam_epsilon"])
    trainer = PPOTrainer(config=config, model=policy, ref_model=reference, tokenizer=tokenizer,
                         optimizer=optimizer)
    trainer.model_params = list(trainer.model.parameters())  # TRL 0.11.4 clips only the first step otherwise

    recorded = {"steps": []}
    compute_rewards, compute_advantages, loss = trainer.compute_rewards, trainer.compute_advantages, trainer.loss

    def record_rewards(scores, logprobs, ref_logprobs, masks):
        rewards, non_score, kls = compute_rewards(scores, logprobs, ref_logprobs, masks)
        recorded.update(logprobs=logprobs, ref_logprobs=ref_logprobs, masks=masks, rewards=rewards, kl=kls)
        return rewards, non_score, kls

    def record_advantages(values, rewards, mask):
        values, advantages, returns = compute_advantages(values, rewards, mask)
        recorded.update(values=values, advantages=advantages, returns=returns)
        return values, advantages, returns

    def record_loss(*arguments):
        pg_loss, vf_loss, stats = loss(*arguments)
        recorded["steps"].append({"pg_loss": stats["loss/policy"], "vf_loss": stats["loss/value"],
                                  "loss": stats["loss/total"], "clipfrac": stats["policy/clipfrac"],
                                  "vf_clipfrac": stats["val/clipfrac"], "approxkl": stats["policy/approxkl"]})
        return pg_loss, vf_loss, stats

    trainer.compute_rewards, trainer.compute_advantages, trainer.loss = record_rewards, record_advantages, record_loss
    # rlhf's minibatch order: epoch e's permutation is its minibatches' rollout indices, one after another.
    orders = [np.array([i for u in updates if u["epoch"] == e for i in u["rollout_indices"]])
              for e in range(c["num_ppo_epochs"])]
    queries = [torch.tensor(r["prompt_tokens"]) for r in rollouts]
    responses = [torch.tensor(r["response_tokens"]) for r in rollouts]
    scores = [torch.tensor(r["score"], dtype=torch.float32) for r in rollouts]
    with mock.patch("numpy.random.permutation", side_effect=orders):
        trainer.step(queries, responses, scores)
    return recorded


def per_token(recorded, name, rollouts):
    """TRL's (B, T) tensor, masked to each rollout's response tokens, as rlhf's per-rollout lists."""
    tensor, masks = recorded[name], recorded["masks"]
    rows = []
    for row, rollout in enumerate(rollouts):
        positions = masks[row].nonzero()[:, 0]
        if len(positions) != len(rollout["response_tokens"]):
            sys.exit(f"rollout {row}: TRL's mask has {len(positions)} response tokens, the trace "
                     f"{len(rollout['response_tokens'])}")
        rows.append(tensor[row, positions].double())
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkpoint", type=pathlib.Path)
    parser.add_argument("trace", type=pathlib.Path)
    parser.add_argument("--tolerance", type=float, default=1e-4)
    arguments = parser.parse_args()
    torch.set_num_threads(2)
    trace = json.loads(arguments.trace.read_text())
    recorded = run_trl(arguments.checkpoint, trace)
    rollouts = trace["rollouts"]

    worst = {}
    fields = [("logprobs", "logprobs"), ("ref_logprobs", "ref_logprobs"), ("values", "values"), ("kl", "kl"),
              ("rewards", "rewards"), ("returns", "returns"), ("advantages", "advantages")]
    for ours, theirs in fields:
        rows = per_token(recorded, theirs, rollouts)
        worst[ours] = max(float((torch.tensor(r[ours], dtype=torch.float64) - t).abs().max())
                          for r, t in zip(rollouts, rows))
    steps = recorded["steps"]
    if len(steps) != len(trace["updates"]):
        sys.exit(f"TRL took {len(steps)} steps, the trace has {len(trace['updates'])}")
    for name in ("pg_loss", "vf_loss", "loss", "clipfrac", "vf_clipfrac", "approxkl"):
        worst[f"step {name}"] = max(abs(u[name] - float(s[name])) for u, s in zip(trace["updates"], steps))

    tokens = sum(len(r["response_tokens"]) for r in rollouts)
    print(f"{arguments.trace}: {len(rollouts)} rollouts, {tokens} response tokens, {len(steps)} optimiser steps; "
          f"rlhf vs TRL 0.11.4 PPOTrainer.step() (largest |difference|):")
    failures = []
    for name, largest in worst.items():
        bad = not largest <= arguments.tolerance
        print(f"  {name:18s} {largest:.3g}" + ("  FAIL" if bad else ""))
        if bad:
            failures.append(name)
    # rlhf computes V_clip = V_old + clip(V_new - V_old, -c, c) in float32, which can differ from V_new by
    # rounding when nothing is clipped; TRL's clip(V_new, V_old - c, V_old + c) returns V_new itself then.
    ties = [(u["epoch"], u["minibatch"], i, t) for u in trace["updates"]
            for k, i in enumerate(u["rollout_indices"])
            for t, (a, b) in enumerate(zip(u["vf_losses_unclipped"][k], u["vf_losses_clipped"][k]))
            if b > a and abs(u["new_values"][k][t] - rollouts[i]["values"][t]) <= trace["config"]["cliprange_value"]]
    if ties:
        print(f"  rlhf counts {len(ties)} value term(s) as clipped whose |V_new - V_old| is within cliprange_value "
              f"(float32 rounding of V_old + (V_new - V_old)); (epoch, minibatch, rollout, token): {ties[:6]}")
    print(f"FAILED: {', '.join(failures)}" if failures else f"OK: every difference within {arguments.tolerance:g}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
