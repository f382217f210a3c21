# NumPy reference of `memorize estimate` and `memorize pairs` for scripts/bench-estimate.ts: the same
# computation (Algorithm 1 with Newcombe-Wilson intervals, the 0.05 floor above 1 M pairs, exact threshold
# tests on the counts, the split-half Jaccard), as a researcher would write it: float32 class-block products.
# Reads the same trial files (the bitmaps at the byte offsets the bench found; labels from .npy).
#   python3 bench_estimate_numpy.py estimate RUN INPUTS OUT
#   python3 bench_estimate_numpy.py pairs RUN INPUTS OUT THETA_MEM THETA_INFL
import json, os, sys
import numpy as np

Z = 1.959963984540054
MAX_FULL_PAIRS = 1_000_000


def read_trials(run, inputs):
    meta = json.load(open(os.path.join(inputs, 'offsets.json')))
    n, n_test = meta['n'], meta['nTest']
    names = sorted(f for f in os.listdir(os.path.join(run, 'trials')) if f.endswith('.arrow'))
    t = len(names)
    subset = np.empty((t, n), np.uint8)
    train = np.empty((t, n), np.uint8)
    test = np.empty((t, n_test), np.uint8)
    index = np.empty(t, np.int64)
    for k, name in enumerate(names):
        with open(os.path.join(run, 'trials', name), 'rb') as f:
            b = np.frombuffer(f.read(), np.uint8)
        subset[k] = np.unpackbits(b[meta['subset']:meta['subset'] + (n + 7) // 8], bitorder='little', count=n)
        train[k] = np.unpackbits(b[meta['trainCorrect']:meta['trainCorrect'] + (n + 7) // 8], bitorder='little', count=n)
        test[k] = np.unpackbits(b[meta['testCorrect']:meta['testCorrect'] + (n_test + 7) // 8], bitorder='little', count=n_test)
        index[k] = int(name[6:-6])
    labels = np.load(os.path.join(inputs, 'train_labels.npy'))
    test_labels = np.load(os.path.join(inputs, 'test_labels.npy'))
    return subset, train, test, index, labels, test_labels, int(meta['classes'])


def wilson(x, n):
    safe = np.maximum(n, 1)
    p = x / safe
    z2 = Z * Z
    center = (p + z2 / (2 * safe)) / (1 + z2 / safe)
    half = (Z / (1 + z2 / safe)) * np.sqrt(p * (1 - p) / safe + z2 / (4 * safe * safe))
    return np.where(n > 0, np.maximum(0, center - half), 0.0), np.where(n > 0, np.minimum(1, center + half), 1.0)


def difference(c_in, n_in, c_out, n_out):
    """p_in - p_out, its standard error and Newcombe's interval; a side with no trial is 1/2."""
    p_in = np.where(n_in > 0, c_in / np.maximum(n_in, 1), 0.5)
    p_out = np.where(n_out > 0, c_out / np.maximum(n_out, 1), 0.5)
    with np.errstate(invalid='ignore', divide='ignore'):
        se = np.where((n_in > 0) & (n_out > 0), np.sqrt(p_in * (1 - p_in) / n_in + p_out * (1 - p_out) / n_out), np.nan)
    a_low, a_high = wilson(c_in, n_in)
    b_low, b_high = wilson(c_out, n_out)
    d = p_in - p_out
    low = np.maximum(-1, d - np.sqrt((p_in - a_low) ** 2 + (b_high - p_out) ** 2))
    high = np.minimum(1, d + np.sqrt((a_high - p_in) ** 2 + (p_out - b_low) ** 2))
    return d, se, low, high


def at_least(c_in, n_in, c_out, n_out, p, q):
    """p_in - p_out >= p/q exactly, in int64."""
    a = np.where(n_in > 0, c_in, 1).astype(np.int64)
    b = np.where(n_in > 0, n_in, 2).astype(np.int64)
    c = np.where(n_out > 0, c_out, 1).astype(np.int64)
    d = np.where(n_out > 0, n_out, 2).astype(np.int64)
    return (a * d - c * b) * q >= p * b * d


def estimate(subset, train, test, labels, test_labels, classes, floor=None):
    """floor: (p, q) to keep only pairs with infl >= p/q; default 1/20 above 1 M same-class pairs."""
    t = subset.shape[0]
    n_in = subset.sum(0, dtype=np.int64)
    correct_in = (subset & train).sum(0, dtype=np.int64)
    correct_out = train.sum(0, dtype=np.int64) - correct_in
    mem = difference(correct_in, n_in, correct_out, t - n_in)
    full = sum(int((labels == c).sum()) * int((test_labels == c).sum()) for c in range(classes))
    if floor is None and full > MAX_FULL_PAIRS:
        floor = (1, 20)
    test_total = test.sum(0, dtype=np.int64)
    parts = []
    for c in range(classes):
        rows = np.flatnonzero(labels == c)
        cols = np.flatnonzero(test_labels == c)
        counts = (subset[:, rows].T.astype(np.float32) @ test[:, cols].astype(np.float32)).astype(np.int64)  # [na, nb]
        ci = counts
        co = test_total[cols][None, :] - ci
        ni = np.broadcast_to(n_in[rows][:, None], ci.shape)
        no = t - ni
        keep = at_least(ci, ni, co, no, *floor) if floor else np.ones(ci.shape, bool)
        r, s = np.nonzero(keep)
        parts.append((rows[r], cols[s], ci[r, s], ni[r, s], co[r, s], no[r, s]))
    cat = [np.concatenate([p[k] for p in parts]) for k in range(6)]
    infl = difference(cat[2], cat[3], cat[4], cat[5])
    return {'mem': mem[0], 'mem_se': mem[1], 'mem_low': mem[2], 'mem_high': mem[3], 'n_in': n_in, 'n_out': t - n_in, 'mem_correct_in': correct_in, 'mem_correct_out': correct_out,
            'train_index': cat[0], 'test_index': cat[1], 'infl': infl[0].astype(np.float32), 'se': infl[1].astype(np.float32), 'low': infl[2].astype(np.float32), 'high': infl[3].astype(np.float32),
            'correct_in': cat[2], 'correct_out': cat[4]}


def fraction(theta):
    digits = theta.split('.')[1] if '.' in theta else ''
    q = 10 ** len(digits)
    return round(float(theta) * q), q


def select(e, theta_mem, theta_infl):
    i = e['train_index']
    pm, qm = fraction(theta_mem)
    pi, qi = fraction(theta_infl)
    ok = at_least(e['correct_in'], e['n_in'][i], e['correct_out'], e['n_out'][i], pi, qi)
    ok &= at_least(e['mem_correct_in'], e['n_in'], e['mem_correct_out'], e['n_out'], pm, qm)[i]
    return ok & np.isfinite(e['mem_se'][i])


def main():
    mode, run, inputs, out = sys.argv[1:5]
    subset, train, test, index, labels, test_labels, classes = read_trials(run, inputs)
    os.makedirs(out, exist_ok=True)
    if mode == 'estimate':
        e = estimate(subset, train, test, labels, test_labels, classes)
        for k, v in e.items():
            np.save(os.path.join(out, k + '.npy'), v)
        print(json.dumps({'trials': int(subset.shape[0]), 'pairs': int(len(e['infl'])), 'meanMem': float(np.nanmean(np.where(np.isfinite(e['mem_se']), e['mem'], np.nan)))}))
        return
    theta_mem, theta_infl = sys.argv[5:7]
    e = {k[:-4]: np.load(os.path.join(out, k)) for k in os.listdir(out) if k.endswith('.npy') and not k.startswith('selected')}
    chosen = select(e, theta_mem, theta_infl)
    np.save(os.path.join(out, 'selected_train.npy'), e['train_index'][chosen])
    np.save(os.path.join(out, 'selected_test.npy'), e['test_index'][chosen])
    # Split halves: only pairs at theta_infl and up can be selected, so each half keeps those (as memorize does);
    # the halves' tables differ, and the selections are matched by (i, j).
    halves = []
    for parity in (0, 1):
        k = index % 2 == parity
        h = estimate(subset[k], train[k], test[k], labels, test_labels, classes, floor=fraction(theta_infl))
        chosen_h = select(h, theta_mem, theta_infl)
        halves.append(h['train_index'][chosen_h].astype(np.int64) * len(test_labels) + h['test_index'][chosen_h])
    union = len(np.union1d(halves[0], halves[1]))
    both = len(np.intersect1d(halves[0], halves[1]))
    print(json.dumps({'pairs': int(chosen.sum()), 'splitHalfJaccard': both / union if union else float('nan')}))


main()
