#!/usr/bin/env python3
"""Check a `save DIR` folder in Hugging Face transformers against rlhf's own numbers.

    python3 tools/check_hf.py CHECKPOINT_DIR [--rlhf EXE] [--world DIR] [--tolerance T] [--text TEXT ...]

CHECKPOINT_DIR is what the REPL's `save DIR` writes: policy/ (GPT2LMHeadModel plus TRL's value head in
value_head.safetensors), reference/ (GPT2LMHeadModel) and reward/ (GPT2ForSequenceClassification), each with a
tokenizer.json. For each text (by default a few held-out SFT examples of the world and a random string of its
words), closed with EOS, it compares

  - the token ids of `tokenizers` (each folder's tokenizer.json) with rlhf's tokenizer: must be equal;
  - the policy's logits and values, and the reference's logits, at every position;
  - the reward model's score read at the final EOS, of all texts right-padded into one batch (rlhf's PPO path)
    and of each text alone in transformers,

where rlhf's numbers come from running `rlhf outputs CHECKPOINT_DIR TEXT...` (which loads the folder with the
REPL's own `load`). Then the round trip: transformers' `save_pretrained` writes the three models to a temporary
folder (with the tokenizer files and the value head copied), rlhf loads that folder and must print the very
same numbers. It prints the largest absolute difference of each quantity and exits 1 when one exceeds the
tolerance (default 1e-4), when ids differ, or when a weight is missing or unexpected.
"""
import argparse
import json
import pathlib
import random
import shutil
import subprocess
import sys
import tempfile

import torch
import transformers
from safetensors.torch import load_file
from tokenizers import Tokenizer
from transformers import GPT2ForSequenceClassification, GPT2LMHeadModel

ROOT = pathlib.Path(__file__).resolve().parent.parent


def rlhf_outputs(executable, folder, texts, world):
    command = [str(executable), "outputs", str(folder), *texts] + (["--world", str(world)] if world else [])
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"rlhf outputs failed ({result.returncode}): {result.stderr.strip() or result.stdout.strip()}")
    return json.loads(result.stdout)["texts"]


def load_language_model(folder, problems):
    model, info = GPT2LMHeadModel.from_pretrained(folder, output_loading_info=True)
    report_loading(folder, info, problems)
    return model.float().eval()


def report_loading(folder, info, problems):
    for kind in ("missing_keys", "unexpected_keys", "mismatched_keys", "error_msgs"):
        if info.get(kind):
            problems.append(f"{folder}: {kind.replace('_', ' ')}: {info[kind]}")


def value_head(folder):
    """TRL's value head: v_head.summary, a Linear(n_embd, 1) on the last hidden state (after ln_f)."""
    tensors = load_file(str(folder / "value_head.safetensors"))
    return tensors["v_head.summary.weight"].float(), tensors["v_head.summary.bias"].float()


def default_texts(checkpoint):
    texts = []
    heldout = ROOT / "lessons" / "world" / "sft-heldout.jsonl"
    if heldout.exists():
        for line in heldout.read_text().splitlines()[:3]:
            example = json.loads(line)
            texts.append(example["prompt"] + " " + example["completion"])
    vocabulary = json.loads((checkpoint / "policy" / "tokenizer.json").read_text())["model"]["vocab"]
    special = {token["content"] for token in
               json.loads((checkpoint / "policy" / "tokenizer.json").read_text())["added_tokens"]}
    words = sorted(word for word in vocabulary if word not in special)
    generator = random.Random(12)
    texts.append(" ".join(generator.choice(words) for _ in range(20)))
    return texts


class Differences:
    """The largest |rlhf - transformers| of each quantity, and where it was."""

    def __init__(self):
        self.worst = {}

    def add(self, name, ours, theirs, where):
        ours, theirs = torch.as_tensor(ours, dtype=torch.float64), theirs.detach().double()
        if ours.shape != theirs.shape:
            self.worst[name] = (float("inf"), f"{where}: shapes {tuple(ours.shape)} vs {tuple(theirs.shape)}", 0.0)
            return
        difference = (ours - theirs).abs()
        largest = float(difference.max())
        if name not in self.worst or largest > self.worst[name][0]:
            self.worst[name] = (largest, where, float(theirs.abs().max()))


def compare(checkpoint, outputs, tokenizer_texts, differences, problems):
    policy = load_language_model(checkpoint / "policy", problems)
    reference = load_language_model(checkpoint / "reference", problems)
    reward, info = GPT2ForSequenceClassification.from_pretrained(checkpoint / "reward", output_loading_info=True)
    report_loading(checkpoint / "reward", info, problems)
    reward = reward.float().eval()
    weight, bias = value_head(checkpoint / "policy")
    eos = policy.config.eos_token_id
    pad = reward.config.pad_token_id
    tokenizers = {name: Tokenizer.from_file(str(checkpoint / name / "tokenizer.json"))
                  for name in ("policy", "reference", "reward")}

    rows = []
    with torch.no_grad():
        for index, (text, ours) in enumerate(zip(tokenizer_texts, outputs)):
            for name, tokenizer in tokenizers.items():
                ids = tokenizer.encode(text).ids + [eos]
                if ids != ours["ids"]:
                    problems.append(f"text {index}: {name}/tokenizer.json gives {ids}, rlhf {ours['ids']}")
            rows.append(ours["ids"])
            input_ids = torch.tensor([ours["ids"]])
            out = policy(input_ids, output_hidden_states=True)
            differences.add("policy logits", ours["policy_logits"], out.logits[0], f"text {index}")
            values = out.hidden_states[-1][0] @ weight.T + bias  # (T, 1)
            differences.add("values", ours["values"], values[:, 0], f"text {index}")
            differences.add("reference logits", ours["reference_logits"], reference(input_ids).logits[0],
                            f"text {index}")
            alone = reward(input_ids).logits[0, 0]
            differences.add("reward score, one text", [ours["reward_score"]], alone.reshape(1), f"text {index}")
        # One right-padded batch with an attention mask; the score is read at each row's last non-pad token.
        length = max(len(row) for row in rows)
        padded = torch.tensor([row + [pad] * (length - len(row)) for row in rows])
        mask = (torch.arange(length)[None, :] < torch.tensor([len(row) for row in rows])[:, None]).long()
        batched = reward(padded, attention_mask=mask).logits[:, 0]
        differences.add("reward score, padded batch", [o["reward_score"] for o in outputs], batched, "the batch")
    return policy, reference, reward


def round_trip(checkpoint, models, executable, texts, world, first_outputs, problems):
    """save_pretrained by transformers, loaded by rlhf: the same numbers, bit for bit."""
    with tempfile.TemporaryDirectory(prefix="rlhf-check-hf-") as temporary:
        target = pathlib.Path(temporary)
        for name, model in zip(("policy", "reference", "reward"), models):
            model.save_pretrained(target / name)
            for extra in ("tokenizer.json", "tokenizer_config.json", "value_head.safetensors"):
                if (checkpoint / name / extra).exists():
                    shutil.copy(checkpoint / name / extra, target / name / extra)
        again = rlhf_outputs(executable, target, texts, world)
    if again != first_outputs:
        problems.append("rlhf's numbers from the folder that transformers saved differ from the original's")
        return False
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkpoint", type=pathlib.Path, help="a folder written by `save DIR`")
    parser.add_argument("--rlhf", type=pathlib.Path, default=ROOT / ".build" / "release" / "rlhf",
                        help="the rlhf executable (default: .build/release/rlhf; `swift build -c release`)")
    parser.add_argument("--world", type=pathlib.Path, help="the world folder rlhf starts on (default: its own)")
    parser.add_argument("--tolerance", type=float, default=1e-4, help="largest absolute difference allowed")
    parser.add_argument("--text", action="append", help="a text to check (repeatable; default: a few)")
    arguments = parser.parse_args()
    if not arguments.rlhf.exists():
        sys.exit(f"{arguments.rlhf}: no rlhf executable; build one with `swift build -c release` or pass --rlhf")
    torch.set_num_threads(2)
    transformers.utils.logging.disable_progress_bar()
    texts = arguments.text or default_texts(arguments.checkpoint)

    outputs = rlhf_outputs(arguments.rlhf, arguments.checkpoint, texts, arguments.world)
    problems, differences = [], Differences()
    models = compare(arguments.checkpoint, outputs, texts, differences, problems)
    tokens = sum(len(o["ids"]) for o in outputs)
    print(f"{arguments.checkpoint}: {len(texts)} texts, {tokens} tokens; rlhf vs transformers "
          f"(largest |difference|, where, largest |value| for scale):")
    for name, (largest, where, scale) in differences.worst.items():
        flag = "  FAIL" if not largest <= arguments.tolerance else ""
        print(f"  {name:28s} {largest:.3g}  ({where}; values up to {scale:.3g}){flag}")
        if not largest <= arguments.tolerance:
            problems.append(f"{name}: {largest:.3g} > tolerance {arguments.tolerance:g}")
    print("  token ids                    " + ("differ" if any("gives" in p for p in problems) else
                                                 "equal in all three tokenizer.json files"))
    if round_trip(arguments.checkpoint, models, arguments.rlhf, texts, arguments.world, outputs, problems):
        print("  round trip                   transformers' save_pretrained, loaded by rlhf: identical numbers")
    for problem in problems:
        print(f"FAIL {problem}")
    print("FAILED" if problems else f"OK: every difference within {arguments.tolerance:g}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
