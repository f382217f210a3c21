#!/usr/bin/env bash
# The GPU check of the webgpu path, as one prepared command (issue 13). Two steps:
#   here:            scripts/device-check.sh pack
#                    builds, then packs bench-train, the CLI and make-cifar-like with ../shared/gpu/pack-for-device.sh
#   on the GPU:      source .device-pack/env.sh && bash scripts/device-check.sh run
#                    (the device tool's `run`, carry [".device-pack"], timeout ~540 s; results land in $OUT)
# `run` measures, in one go: bench-train's training images/s of resnet18 (batch 512), resnet50 (batch 256) and
# cnn (batch 512) on webgpu against PyTorch fp32 (TF32 off) and bf16 autocast on the same GPU; then one real
# trial at CIFAR shape (50,000/10,000 32x32x3 images in CIFAR-10's format from make-cifar-like, resnet18,
# 2 epochs) with `memorize train --backend webgpu`, and its seconds per epoch. Files in $OUT (at most 8):
# gpu.txt, bench-resnet.json, bench-cnn.json, bench.log, trial.log, trial-run.json, summary.txt.
# `run --small` is the same script at toy sizes, for testing it end to end on lavapipe here first
# (DEVICE_CHECK_PYTHON: a python3 with torch; PyTorch then runs on the CPU).
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-}
app=.device-pack/app

if [ "$mode" = pack ]; then
  npm run build >/dev/null
  exec bash ../shared/gpu/pack-for-device.sh scripts/bench-train.ts src/cli/main.ts scripts/make-cifar-like.ts
fi
[ "$mode" = run ] || { echo "usage: scripts/device-check.sh pack | run [--small]" >&2; exit 2; }
[ -f "$app/bench-train.mjs" ] || { echo "no $app/bench-train.mjs: run scripts/device-check.sh pack first" >&2; exit 2; }

out=${OUT:-device-check-out}
mkdir -p "$out"
python=${DEVICE_CHECK_PYTHON:-python3}
if [ "${2:-}" = --small ]; then
  torch_device=cpu; resnet=(--models resnet18 --batch 2 --steps 2 --warmup 1 --repeats 1); cnn=(--models cnn:8x8x3 --batch 16 --steps 2 --warmup 1 --repeats 1)
  data=(--train 200 --test 100); trial=(--limit-train 40 --limit-test 20 --batch-size 20 --epochs 1)
else
  torch_device=cuda; resnet=(--models resnet18,resnet50 --repeats 3); cnn=(--models cnn --batch 512 --repeats 3)
  data=(); trial=(--epochs 2)
fi
export CUDA_CACHE_MAXSIZE=${CUDA_CACHE_MAXSIZE:-4294967296}
{ nvidia-smi -L 2>/dev/null || echo "no nvidia-smi"; node -p "'node ' + process.version"; "$python" -c 'import torch; print("torch", torch.__version__, "cuda" if torch.cuda.is_available() else "no cuda")' 2>&1; } > "$out/gpu.txt"

start=$(date +%s)
bench() { node "$app/bench-train.mjs" --backend webgpu --device "$torch_device" --torch --python "$python" "$@" >> "$out/bench.log" 2>&1 \
  || { echo "bench-train $* failed; see $out/bench.log" >&2; tail -20 "$out/bench.log" >&2; exit 1; }; }
bench "${resnet[@]}" --json "$out/bench-resnet.json"
bench "${cnn[@]}" --json "$out/bench-cnn.json"
bench_seconds=$(( $(date +%s) - start ))

data_dir=$(mktemp -d)
run_dir=$(mktemp -d)/run
node "$app/make-cifar-like.mjs" "$data_dir" "${data[@]}" > "$out/trial.log"
start=$(date +%s)
node "$app/main.mjs" train --config configs/cifar10-resnet18.json --data-dir "$data_dir" --backend webgpu --trials 1 --workers 1 --run-dir "$run_dir" "${trial[@]}" >> "$out/trial.log" 2>&1 \
  || { echo "the trial failed; see $out/trial.log" >&2; tail -20 "$out/trial.log" >&2; exit 1; }
trial_wall=$(( $(date +%s) - start ))
cp "$run_dir/run.json" "$out/trial-run.json"

# summary.txt: the bench tables, and the trial's seconds (from its trial file) per epoch.
node --input-type=module -e '
  import { readFileSync } from "node:fs";
  const [out, runDir, benchSeconds, trialWall] = process.argv.slice(1);
  const run = JSON.parse(readFileSync(`${out}/trial-run.json`, "utf8"));
  const log = readFileSync(`${out}/trial.log`, "utf8");
  const seconds = Number(/(\d+(?:\.\d+)?) s \(/.exec(log)?.[1]);
  const epochs = run.config.epochs;
  console.log(readFileSync(`${out}/gpu.txt`, "utf8").trim());
  for (const f of ["bench-resnet", "bench-cnn"]) {
    const r = JSON.parse(readFileSync(`${out}/${f}.json`, "utf8"));
    for (const c of r.results) {
      const fp32 = c.torch.find((t) => t.precision === "fp32"), bf16 = c.torch.find((t) => t.precision === "bf16-autocast");
      console.log(`${c.label} b${c.batch}: webgpu ${c.imagesPerSecond.toFixed(1)} img/s; torch fp32 ${fp32?.imagesPerSecond.toFixed(1)} (ratio ${fp32?.pairedRatio.toFixed(3)}); torch bf16 ${bf16 ? bf16.imagesPerSecond.toFixed(1) : "-"}`);
    }
  }
  console.log(`bench wall ${benchSeconds} s`);
  console.log(`trial: resnet18, n = ${run.dataset.n}, n_test = ${run.dataset.nTest}, m = ${run.m}, ${epochs} epochs, batch ${run.config.batchSize}: ${seconds} s for training and predicting (${(seconds / epochs).toFixed(1)} s per epoch, prediction included), ${trialWall} s wall with start-up`);
' "$out" "$run_dir" "$bench_seconds" "$trial_wall" > "$out/summary.txt"
cat "$out/summary.txt"
