#!/usr/bin/env python3
"""Measure reward hacking on the built-in world (issue 14, item 1), by driving the release binary.

For each seed, two PPO runs in fresh processes from the same SFT model: the default KL leash and kl_coef 0,
both at the same learning rate. Every EVERY iterations `evaluate` reports, on the held-out prompts, the
reward model's proxy score, the annotator's gold score and the KL to SFT (it samples from its own fixed
stream, so it does not change the run). Prints the table of the final rows and counts the criteria:

  (a) unleashed proxy > leashed proxy     (b) unleashed gold < SFT gold     (c) leashed gold > SFT gold
  (d) along the unleashed run, gold rises above SFT's and then falls from its peak, while the proxy keeps
      rising: it ends above its value at the gold's peak, and its final value is its maximum (both up to
      TOLERANCE).

Usage: swift build -c release && tools/reward_hacking.py [--world DIR] [--seeds 1-8] [--learning-rate 3e-5]
Each run is deterministic, so the figures are the same on every machine.
"""
import argparse
import re
import subprocess
import sys

ROW = re.compile(r"^\s*(sft|policy)\s+([-+]\d+\.\d+)\s+([-+]\d+\.\d+)\s+([-+]?\d+\.\d+)")


def run(binary, world, seed, kl_coef, learning_rate, iterations, every):
    """The (proxy, gold, kl) rows of SFT and of the policy after each `every` iterations."""
    lines = [f"set learning_rate {learning_rate}"]
    if kl_coef is not None:
        lines.append(f"set kl_coef {kl_coef}")
    lines += [f"seed {seed}", "evaluate"]
    for _ in range(iterations // every):
        lines += [f"train ppo {every}", "evaluate"]
    command = [binary] + (["--world", world] if world else [])
    output = subprocess.run(command, input="\n".join(lines) + "\n", capture_output=True, text=True, check=True).stdout
    rows = [(m.group(1), float(m.group(2)), float(m.group(3)), float(m.group(4)))
            for m in map(ROW.match, output.splitlines()) if m]
    sft = next(r[1:] for r in rows if r[0] == "sft")
    curve = [r[1:] for r in rows if r[0] == "policy"]
    return sft, curve


def rises_then_falls(curve, sft_gold, tolerance):
    """Gold peaks above SFT's and ends below its peak; meanwhile the proxy rose past its value at the gold's
    peak and ends at (about) its own maximum."""
    golds = [point[1] for point in curve]
    proxies = [point[0] for point in curve]
    peak = max(range(len(golds)), key=lambda i: golds[i])
    return (golds[peak] > sft_gold and peak < len(golds) - 1 and golds[-1] < golds[peak] - tolerance
            and proxies[-1] > proxies[peak] + tolerance and proxies[-1] >= max(proxies) - tolerance)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=".build/release/rlhf")
    parser.add_argument("--world", help="a world folder (default: the built-in lessons/world)")
    parser.add_argument("--seeds", default="1-8", help="FIRST-LAST")
    parser.add_argument("--learning-rate", default="3e-5")
    parser.add_argument("--iterations", type=int, default=50)
    parser.add_argument("--every", type=int, default=5)
    parser.add_argument("--tolerance", type=float, default=0.05)
    parser.add_argument("--curves", action="store_true", help="also print every unleashed run's curve")
    args = parser.parse_args()
    first, last = map(int, args.seeds.split("-"))
    counts = {"a": 0, "b": 0, "c": 0, "d": 0}
    print(f"learning_rate {args.learning_rate}, {args.iterations} iterations, held-out prompts; rm / gold / kl")
    print("| seed | SFT | leashed (default kl_coef) | unleashed (kl_coef 0) | a b c d |")
    print("| --- | --- | --- | --- | --- |")
    curves = []
    for seed in range(first, last + 1):
        sft, leashed = run(args.binary, args.world, seed, None, args.learning_rate, args.iterations, args.every)
        _, free = run(args.binary, args.world, seed, 0, args.learning_rate, args.iterations, args.every)
        marks = {"a": free[-1][0] > leashed[-1][0], "b": free[-1][1] < sft[1], "c": leashed[-1][1] > sft[1],
                 "d": rises_then_falls(free, sft[1], args.tolerance)}
        for key, value in marks.items():
            counts[key] += value
        cell = lambda r: f"{r[0]:+.3f} / {r[1]:+.3f} / {r[2]:.2f}"
        flags = " ".join(k if v else "-" for k, v in marks.items())
        print(f"| {seed} | {cell(sft)} | {cell(leashed[-1])} | {cell(free[-1])} | {flags} |", flush=True)
        curves.append((seed, free))
    total = last - first + 1
    print(f"(a) unleashed proxy > leashed proxy: {counts['a']}/{total}; (b) unleashed gold < SFT gold: "
          f"{counts['b']}/{total}; (c) leashed gold > SFT gold: {counts['c']}/{total}; "
          f"(d) unleashed gold rises then falls, proxy keeps rising: {counts['d']}/{total}")
    if args.curves:
        for seed, curve in curves:
            print(f"seed {seed} unleashed, every {args.every}: " +
                  "  ".join(f"{p[0]:+.2f}/{p[1]:+.2f}/{p[2]:.1f}" for p in curve))


if __name__ == "__main__":
    sys.exit(main())
