"""PyTorch side of scripts/bench-train.ts: images per second of training (forward, backward, SGD momentum 0.9
with the project's default warm-up/linear-decay lr set every step) of the same architectures as the project's
src/models (mlp, cnn, ResNet18/50 with the CIFAR stem), on random data gathered from a tensor per batch, as the
project's trainer does.
  --serve: bench-train's mode. Sets up and warms up once, prints {"params", "torch", "threads"} as one JSON
           line, then answers every "run <steps>" line on stdin with {"rate": images/s}, so that the project
           and PyTorch can take turns under the same machine load.
  otherwise: --repeats runs of --steps steps, one JSON line with the median, e.g.
  /usr/bin/python3 scripts/bench_train_torch.py --model cnn --input 32x32x3 --batch 64 --threads 1
"""
import argparse
import json
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def mlp(in_shape, classes, hidden):
    h, w, c = in_shape
    return nn.Sequential(nn.Flatten(), nn.Linear(h * w * c, hidden), nn.ReLU(),
                         nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, classes))


def cnn(in_shape, classes, hidden):
    # src/models/cnn.ts: conv3x3(32) relu, maxpool 2 -> conv3x3(64) relu, maxpool 2 -> dense(hidden) relu -> dense.
    h, w, c = in_shape
    return nn.Sequential(nn.Conv2d(c, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(64 * (h // 4) * (w // 4), hidden), nn.ReLU(), nn.Linear(hidden, classes))


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inp, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(inp, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or inp != planes:
            self.downsample = nn.Sequential(nn.Conv2d(inp, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + (x if self.downsample is None else self.downsample(x)))


class Bottleneck(nn.Module):
    expansion = 4  # torchvision v1.5: the stride on the 3x3

    def __init__(self, inp, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(inp, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.downsample = None
        if stride != 1 or inp != planes * 4:
            self.downsample = nn.Sequential(nn.Conv2d(inp, planes * 4, 1, stride, bias=False), nn.BatchNorm2d(planes * 4))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return F.relu(out + (x if self.downsample is None else self.downsample(x)))


class ResNet(nn.Module):
    """torchvision.models.resnet with the CIFAR stem of Feldman & Zhang: one 3x3/1 conv, no max-pool."""

    def __init__(self, block, layers, in_channels, classes):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 64, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        stages, inp = [], 64
        for stage, count in enumerate(layers):
            planes = 64 * 2 ** stage
            blocks = []
            for i in range(count):
                blocks.append(block(inp, planes, 2 if i == 0 and stage > 0 else 1))
                inp = planes * block.expansion
            stages.append(nn.Sequential(*blocks))
        self.layer1, self.layer2, self.layer3, self.layer4 = stages
        self.fc = nn.Linear(inp, classes)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def build(name, in_shape, classes, hidden):
    if name == 'mlp':
        return mlp(in_shape, classes, hidden)
    if name == 'cnn':
        return cnn(in_shape, classes, hidden)
    if name == 'resnet18':
        return ResNet(BasicBlock, [2, 2, 2, 2], in_shape[2], classes)
    if name == 'resnet50':
        return ResNet(Bottleneck, [3, 4, 6, 3], in_shape[2], classes)
    raise SystemExit(f'unknown model {name!r}; expected mlp, cnn, resnet18, resnet50')


def learning_rate_at(step, total, peak, warmup_fraction):
    """src/train/schedule.ts learningRateAt: linear warm-up from 0, then linear decay to 0."""
    warmup = round(warmup_fraction * total)
    if step < warmup:
        return peak * (step + 1) / warmup
    return peak * (total - step) / (total - warmup)


def trainer(a, precision):
    """Builds the model and data; returns (trainable parameter count, run(steps) -> images/s)."""
    device = torch.device(a.device)
    in_shape = tuple(int(d) for d in a.input.split('x'))
    torch.manual_seed(1)
    model = build(a.model, in_shape, a.classes, a.hidden).to(device)
    if a.device == 'cuda':
        model = model.to(memory_format=torch.channels_last)
    params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    pool = 4096  # distinct random examples the batches are gathered from
    h, w, c = in_shape
    images = torch.randn(pool, c, h, w, device=device)  # NCHW: PyTorch's layout
    if a.device == 'cuda':
        images = images.contiguous(memory_format=torch.channels_last)
    labels = torch.randint(0, a.classes, (pool,), device=device)
    loss_fn = nn.CrossEntropyLoss()  # mean over the batch, as tf.losses.softmaxCrossEntropy
    generator = torch.Generator().manual_seed(2)

    def sync():
        if a.device == 'cuda':
            torch.cuda.synchronize()

    def run(count):
        # A fresh optimizer per call, as the project's fitNetworks makes one per trial.
        optimizer = torch.optim.SGD(model.parameters(), lr=0.0, momentum=a.momentum)
        order = torch.randperm(count * a.batch, generator=generator) % pool
        model.train()
        sync()
        start = time.perf_counter()
        for step in range(count):
            for group in optimizer.param_groups:
                group['lr'] = learning_rate_at(step, count, a.lr, a.warmup_fraction)
            index = order[step * a.batch:(step + 1) * a.batch].to(device, non_blocking=True)
            x, y = images.index_select(0, index), labels.index_select(0, index)
            optimizer.zero_grad(set_to_none=True)
            with torch.autocast(a.device, dtype=torch.bfloat16, enabled=precision == 'bf16-autocast'):
                loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
        sync()
        return count * a.batch / (time.perf_counter() - start)

    if a.warmup > 0:
        run(a.warmup)
    return params, run


def serve(a):
    params, run = trainer(a, a.precision)
    print(json.dumps({'params': params, 'torch': torch.__version__, 'threads': torch.get_num_threads()}), flush=True)
    for line in sys.stdin:
        words = line.split()
        if words[:1] == ['run']:
            print(json.dumps({'rate': run(int(words[1]))}), flush=True)
        elif words[:1] == ['quit']:
            break


def measure(a, precision):
    params, run = trainer(a, precision)
    rates = [run(a.steps) for _ in range(a.repeats)]
    return {'label': f'{a.model} {a.input}', 'model': a.model, 'input': [int(d) for d in a.input.split('x')], 'batch': a.batch,
            'params': params, 'imagesPerSecond': statistics.median(rates), 'repeats': rates, 'precision': precision,
            'threads': torch.get_num_threads(), 'torch': torch.__version__}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--model', required=True)
    p.add_argument('--input', default='32x32x3', help='HxWxC')
    p.add_argument('--classes', type=int, default=10)
    p.add_argument('--hidden', type=int, default=128)
    p.add_argument('--batch', type=int, default=64)
    p.add_argument('--steps', type=int, default=50)
    p.add_argument('--warmup', type=int, default=5)
    p.add_argument('--repeats', type=int, default=5)
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    p.add_argument('--lr', type=float, default=0.05)
    p.add_argument('--momentum', type=float, default=0.9)
    p.add_argument('--warmup-fraction', type=float, default=0.15)
    p.add_argument('--precision', default='fp32', choices=['fp32', 'bf16-autocast'], help='--serve only; bf16: for information')
    p.add_argument('--serve', action='store_true', help='answer "run <steps>" lines on stdin (bench-train)')
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    if a.device == 'cuda':
        # fp32 means fp32: no TF32 tensor-core rounding in matmuls or convolutions.
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cudnn.benchmark = True
    if a.serve:
        serve(a)
        return
    precisions = ['fp32', 'bf16-autocast'] if a.device == 'cuda' else ['fp32']
    print(json.dumps([measure(a, precision) for precision in precisions]), flush=True)


if __name__ == '__main__':
    main()
