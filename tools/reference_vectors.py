#!/usr/bin/env python3
"""Regenerate the tests' reference vectors in float64 with TRL's conventions.

    python3 tools/reference_vectors.py            # check: recompute and compare with the committed vectors
    python3 tools/reference_vectors.py --write D  # also write D/ppo-small.json and D/reward-loss.json

The vectors are ppo-small.json (a batch of three rollouts, the third cut off without EOS: KL, shaped rewards,
GAE, returns, whitened advantages; one minibatch of the clipped update over rollouts 0 and 2; four steps of
Ziegler et al.'s adaptive KL controller) and reward-loss.json (the Bradley-Terry loss of a reward model, with a
margin and with TRL's centring term). Tests/RLHFStagesTests/ReferenceVectors.swift holds the same numbers as
Swift literals, so that the tests never read files outside the package.

The check recomputes every number from the inputs below and compares it bit for bit with
  - every numeric literal of ReferenceVectors.swift, in the order they are written there, and
  - the JSON files in ../shared/vectors (when that folder exists beside the checkout), byte for byte.
It exits 1 on any difference. Only numpy is needed.
"""
import argparse
import json
import pathlib
import re
import sys

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
SWIFT_VECTORS = ROOT / "Tests" / "RLHFStagesTests" / "ReferenceVectors.swift"
SHARED_VECTORS = ROOT.parent / "shared" / "vectors"

# ---------------------------------------------------------------------------------------------------------------
# Inputs

PPO_CONFIG = {"kl_coef": 0.05, "gamma": 1.0, "lam": 0.95, "cliprange": 0.2, "cliprange_value": 0.2,
              "vf_coef": 0.1, "missing_eos_penalty": 1.0}
ROLLOUTS = [  # (logprobs, ref_logprobs, values, rm_score, ended_with_eos)
    ([-1.2, -0.35, -2.1, -0.05], [-1.0, -0.6, -1.9, -0.07], [0.1, 0.25, -0.3, 0.4], 1.5, True),
    ([-0.8, -0.1], [-1.1, -0.12], [-0.2, 0.05], -0.4, True),
    ([-2.3, -1.7, -0.9, -0.4, -3.0], [-2.0, -1.75, -1.2, -0.45, -2.5], [0.0, 0.15, 0.2, -0.1, 0.3], 0.7, False),
]
UPDATE_ROLLOUTS = [0, 2]
NEW_LOGPROBS = [[-1.05, -0.5, -1.6, -0.04], [-2.4, -1.2, -0.95, -0.3, -3.4]]
NEW_VALUES = [[0.3, 0.1, -0.05, 0.8], [0.05, 0.5, 0.15, -0.4, 0.9]]
ADAPTIVE_KL = {"init_kl_coef": 0.2, "target": 6.0, "horizon": 10000, "steps": [(8.0, 64), (12.0, 64), (3.0, 64),
                                                                                 (6.0, 64)]}
REWARD_CHOSEN = [1.2, -0.3, 0.8]
REWARD_REJECTED = [0.4, 0.1, 0.9]
REWARD_MARGIN = [0.5, 0.0, 0.2]
CENTER_REWARDS_COEFFICIENT = 0.01

PPO_ABOUT = ("PPO quantities for a batch of three rollouts; score added at the EOS token (the last response token); "
             "value after the last token is 0; advantages whitened over all 11 response tokens (Bessel-corrected "
             "variance, +1e-8); a rollout without EOS has missing_eos_penalty subtracted from its reward-model score.")
REWARD_ABOUT = ("loss = mean(-log sigmoid(r_chosen - r_rejected [- margin])) "
                "[+ center_rewards_coefficient * mean((r_chosen + r_rejected)^2)]")

# ---------------------------------------------------------------------------------------------------------------
# The formulas, in float64


def floats(array):
    return [float(x) for x in array]


def ppo_small():
    c = PPO_CONFIG
    rollouts = []
    for logprobs, ref_logprobs, values, rm_score, ended_with_eos in ROLLOUTS:
        logprobs, ref_logprobs, values = np.array(logprobs), np.array(ref_logprobs), np.array(values)
        kl_k1 = logprobs - ref_logprobs                          # k1 = log p - log p_ref
        log_ratio = ref_logprobs - logprobs                      # log r, r = p_ref / p
        kl_k3 = np.expm1(log_ratio) - log_ratio                 # k3 = (r - 1) - log r
        # A response cut off without EOS has missing_eos_penalty subtracted from its score (TRL).
        score = rm_score if ended_with_eos else rm_score - c["missing_eos_penalty"]
        rewards = -c["kl_coef"] * kl_k1                          # r_t = -beta kl_t ...
        rewards[-1] += score                                     # ... + score at the last token (EOS)
        next_values = np.append(values[1:], 0.0)                 # V after the last token is 0
        deltas = rewards + c["gamma"] * next_values - values     # delta_t = r_t + gamma V(s_t+1) - V(s_t)
        raw_advantages = np.zeros_like(deltas)                   # GAE: A_t = delta_t + gamma lambda A_t+1
        running = 0.0
        for t in reversed(range(len(deltas))):
            running = deltas[t] + c["gamma"] * c["lam"] * running
            raw_advantages[t] = running
        returns = raw_advantages + values                        # returns = A + V
        rollouts.append({"logprobs": floats(logprobs), "ref_logprobs": floats(ref_logprobs),
                         "values": floats(values), "rm_score": rm_score, "ended_with_eos": ended_with_eos,
                         "kl_k1": floats(kl_k1), "kl_k3": floats(kl_k3), "score": score,
                         "rewards": floats(rewards), "deltas": floats(deltas),
                         "raw_advantages": floats(raw_advantages), "returns": floats(returns)})
    # Whitening over every response token of the batch: (A - mean) / sqrt(var + 1e-8), Bessel-corrected var.
    flat = np.concatenate([r["raw_advantages"] for r in rollouts])
    whitened = (flat - flat.mean()) / np.sqrt(flat.var(ddof=1) + 1e-8)
    offset = 0
    for r in rollouts:
        n = len(r["raw_advantages"])
        r["advantages"] = floats(whitened[offset:offset + n])
        offset += n

    chosen = [rollouts[i] for i in UPDATE_ROLLOUTS]
    old_logprobs = np.concatenate([r["logprobs"] for r in chosen])
    old_values = np.concatenate([r["values"] for r in chosen])
    advantages = np.concatenate([r["advantages"] for r in chosen])
    returns = np.concatenate([r["returns"] for r in chosen])
    new_logprobs, new_values = np.concatenate(NEW_LOGPROBS), np.concatenate(NEW_VALUES)
    ratio = np.exp(new_logprobs - old_logprobs)                  # ratio = pi / pi_old
    pg_unclipped = -advantages * ratio
    pg_clipped = -advantages * np.clip(ratio, 1 - c["cliprange"], 1 + c["cliprange"])
    pg_loss = np.maximum(pg_unclipped, pg_clipped).mean()        # the pessimistic bound
    clipped_values = old_values + np.clip(new_values - old_values, -c["cliprange_value"], c["cliprange_value"])
    vf_unclipped = (new_values - returns) ** 2
    vf_clipped = (clipped_values - returns) ** 2
    vf_loss = 0.5 * np.maximum(vf_unclipped, vf_clipped).mean()
    update = {"rollout_indices": UPDATE_ROLLOUTS, "new_logprobs": NEW_LOGPROBS, "new_values": NEW_VALUES,
              "ratio": floats(ratio), "pg_losses_unclipped": floats(pg_unclipped),
              "pg_losses_clipped": floats(pg_clipped), "pg_loss": float(pg_loss), "vf_loss": float(vf_loss),
              "loss": float(pg_loss + c["vf_coef"] * vf_loss),
              "clipfrac": float((pg_clipped > pg_unclipped).mean()),
              "vf_clipfrac": float((vf_clipped > vf_unclipped).mean()),
              "approxkl": float(0.5 * ((new_logprobs - old_logprobs) ** 2).mean())}

    # Ziegler et al.: e = clip(KL / target - 1, -0.2, 0.2); beta <- beta (1 + e n / horizon).
    a = ADAPTIVE_KL
    beta, steps = a["init_kl_coef"], []
    for current_kl, n_steps in a["steps"]:
        error = float(np.clip(current_kl / a["target"] - 1, -0.2, 0.2))
        beta *= 1 + error * n_steps / a["horizon"]
        steps.append({"current_kl": current_kl, "n_steps": n_steps, "kl_coef_after": beta})
    adaptive = {"init_kl_coef": a["init_kl_coef"], "target": a["target"], "horizon": a["horizon"], "steps": steps}
    return {"about": PPO_ABOUT, "config": PPO_CONFIG, "rollouts": rollouts, "update": update,
            "adaptive_kl": adaptive}


def reward_loss():
    chosen, rejected, margin = np.array(REWARD_CHOSEN), np.array(REWARD_REJECTED), np.array(REWARD_MARGIN)

    def bradley_terry(difference):  # mean of -log sigmoid(d) = log(1 + e^-d)
        return float(np.log1p(np.exp(-difference)).mean())

    loss = bradley_terry(chosen - rejected)
    centring = CENTER_REWARDS_COEFFICIENT * float(((chosen + rejected) ** 2).mean())
    return {"about": REWARD_ABOUT, "r_chosen": REWARD_CHOSEN, "r_rejected": REWARD_REJECTED,
            "margin": REWARD_MARGIN, "center_rewards_coefficient": CENTER_REWARDS_COEFFICIENT,
            "loss": loss, "loss_with_margin": bradley_terry(chosen - rejected - margin),
            "loss_with_centering": loss + centring, "accuracy": float((chosen > rejected).mean())}


# ---------------------------------------------------------------------------------------------------------------
# The check


def scalars(value):
    """Every number and bool of a JSON value, in document order (strings skipped)."""
    if isinstance(value, dict):
        return [x for v in value.values() for x in scalars(v)]
    if isinstance(value, (list, tuple)):
        return [x for v in value for x in scalars(v)]
    return [] if isinstance(value, str) else [value]


def swift_literals(text):
    """Every numeric and bool literal of a Swift file, in order, comments left out."""
    code = re.sub(r"//[^\n]*", "", text)
    pattern = r"(?<![\w.$])(?:true|false|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)(?![\w.])"
    return [{"true": True, "false": False}.get(t, None) if t in ("true", "false") else float(t)
            for t in re.findall(pattern, code)]


def same(a, b):
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return float(a) == float(b)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", metavar="DIR", help="write ppo-small.json and reward-loss.json into DIR")
    arguments = parser.parse_args()
    vectors = {"ppo-small.json": ppo_small(), "reward-loss.json": reward_loss()}
    texts = {name: json.dumps(value, indent=1) for name, value in vectors.items()}
    if arguments.write:
        folder = pathlib.Path(arguments.write)
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in texts.items():
            (folder / name).write_text(text)
            print(f"wrote {folder / name}")

    failures = 0
    expected = scalars(vectors["ppo-small.json"]) + scalars(vectors["reward-loss.json"])
    found = swift_literals(SWIFT_VECTORS.read_text())
    mismatches = [(i, e, f) for i, (e, f) in enumerate(zip(expected, found)) if not same(e, f)]
    if len(expected) != len(found) or mismatches:
        failures += 1
        print(f"{SWIFT_VECTORS.relative_to(ROOT)}: {len(found)} literals, {len(expected)} computed; "
              f"{len(mismatches)} differ" + "".join(f"\n  #{i}: computed {e!r}, file {f!r}"
                                                     for i, e, f in mismatches[:10]))
    else:
        print(f"{SWIFT_VECTORS.relative_to(ROOT)}: all {len(found)} literals equal the float64 recomputation")
    for name, text in texts.items():
        committed = SHARED_VECTORS / name
        if not committed.exists():
            print(f"{committed}: not present, skipped")
        elif committed.read_text() == text:
            print(f"{committed}: identical bytes")
        else:
            failures += 1
            print(f"{committed}: differs from the recomputation")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
