"""A complete PyTorch trainer for `memorize train --trainer "python examples/torch_trainer.py"`.

memorize runs it once per trial with MEMORIZE_* variables (README, "Any trainer"): it trains the run's
`model` (mlp or cnn, the project's architectures) with SGD + momentum and the warm-up/linear-decay schedule
on the trial's subset, and writes the predicted class of every train and test example as .npy (and the
margins when asked). Any device: CUDA when there is one, else the CPU. Needs torch and numpy.
"""
import json
import os
import sys

if os.environ.get("MEMORIZE_QUERY") == "version":  # memorize records this answer in run.json and the config hash
    import torch

    print(f"torch_trainer 1 (torch {torch.__version__})")
    sys.exit(0)

import numpy as np
import torch
from torch import nn

env = os.environ
config = json.loads(env["MEMORIZE_CONFIG"])  # the run's resolved config: model, epochs, batchSize, ...
data, out = env["MEMORIZE_DATA"], env["MEMORIZE_OUT"]
seed = int(env["MEMORIZE_SEED"])  # the trial seed memorize derived from (run seed, k)
num_classes = int(env["MEMORIZE_NUM_CLASSES"])
torch.manual_seed(seed)
torch.set_num_threads(1)  # memorize runs one trainer per --workers process
device = "cuda" if torch.cuda.is_available() else "cpu"

# Data, written once per run by memorize: uint8 images (n, h, w, c), int32 labels (n,), and the subset I_k.
train_x = np.load(os.path.join(data, "train_images.npy"))
train_y = np.load(os.path.join(data, "train_labels.npy"))
test_x = np.load(os.path.join(data, "test_images.npy"))
subset = np.load(env["MEMORIZE_SUBSET"])  # (m,) sorted training indices
h, w, c = train_x.shape[1:]

# Normalize per channel with the training set's mean and standard deviation (as memorize's built-in models do).
mean = train_x.reshape(-1, c).mean(0) / 255
std = train_x.reshape(-1, c).std(0) / 255 + 1e-8
to_tensor = lambda x: ((torch.from_numpy(x).float() / 255 - torch.tensor(mean).float()) / torch.tensor(std).float()).permute(0, 3, 1, 2).to(device)  # (B, c, h, w)

hidden = config["hiddenUnits"]
if config["model"] == "cnn":  # 2 x (3x3 conv + 2x2 max-pool), 32 and 64 filters, dense hidden
    model = nn.Sequential(
        nn.Conv2d(c, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * (h // 4) * (w // 4), hidden), nn.ReLU(), nn.Linear(hidden, num_classes))
else:  # mlp: two hidden ReLU layers on raw pixels
    model = nn.Sequential(nn.Flatten(), nn.Linear(h * w * c, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, num_classes))
model.to(device)

# SGD with momentum; lr rises linearly over warmupFraction of the steps, then falls linearly to 0.
epochs, batch = config["epochs"], config["batchSize"]
steps_per_epoch = -(-len(subset) // batch)
total = epochs * steps_per_epoch
warmup = max(1, round(config["warmupFraction"] * total))
optimizer = torch.optim.SGD(model.parameters(), lr=config["learningRate"], momentum=config["momentum"], weight_decay=config["weightDecay"])
schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: s / warmup if s < warmup else max(0.0, (total - s) / max(1, total - warmup)))
xs, ys = to_tensor(train_x[subset]), torch.from_numpy(train_y[subset]).long().to(device)
generator = torch.Generator().manual_seed(seed)
model.train()
for epoch in range(epochs):
    order = torch.randperm(len(subset), generator=generator)
    for b in range(steps_per_epoch):
        idx = order[b * batch:(b + 1) * batch]
        loss = nn.functional.cross_entropy(model(xs[idx]), ys[idx])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()


def predict(images, labels=None):
    """Predicted classes (n,) int64, and margins (correct-class logit minus the best other) when labels are given."""
    model.eval()
    classes, margins = [], []
    with torch.no_grad():
        for start in range(0, len(images), 1024):
            logits = model(to_tensor(images[start:start + 1024]))
            classes.append(logits.argmax(1).cpu())
            if labels is not None:
                y = torch.from_numpy(labels[start:start + 1024]).long().to(device)
                correct = logits.gather(1, y[:, None])[:, 0]
                others = logits.scatter(1, y[:, None], float("-inf")).max(1).values
                margins.append((correct - others).cpu())
    return torch.cat(classes).numpy(), (torch.cat(margins).numpy().astype(np.float32) if labels is not None else None)


want_margins = env["MEMORIZE_RECORD_MARGINS"] == "1"
test_y = np.load(os.path.join(data, "test_labels.npy"))
for split, images, labels in (("train", train_x, train_y), ("test", test_x, test_y)):
    classes, margins = predict(images, labels if want_margins else None)
    np.save(os.path.join(out, f"{split}_predictions.npy"), classes)  # int64, numpy's default: memorize takes any integer width
    if want_margins:
        np.save(os.path.join(out, f"{split}_margins.npy"), margins)
