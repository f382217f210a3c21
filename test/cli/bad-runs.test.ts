// Damaged, foreign and impossible run directories and inputs through the real CLI: each is refused in one line
// with exit 2 that names the file and says what to do, nothing is deleted, and a run whose config hash still
// held its comment (older versions) resumes. Independent cases run concurrently on copies of one small run.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { knownConfigHashes, type Config } from '../../src/config/schema.js';
import { decodeTrial, encodeTrial, type BitView, type StoredTrial, type TrialRecord } from '../../src/store/trial-file.js';
import { CLI, assertOneLine, runCli, runCliAsync, startCli, tempDir, type CliResult } from '../helpers.js';

const TINY = { comment: 'tiny', synthetic: { trainSize: 300, testSize: 120, classes: 5, subpopulationsPerClass: 30 } };
const SIZES = { n: 300, nTest: 120 };

function writeConfig(dir: string, name: string, settings: object): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(settings));
  return path;
}

const unpack = (view: BitView): Uint8Array =>
  Uint8Array.from({ length: view.length }, (_, i) => (view.bytes[(view.bitOffset + i) >> 3]! >> ((view.bitOffset + i) & 7)) & 1);
const toRecord = (s: StoredTrial): TrialRecord => ({
  trial: s.trial, seed: s.seed, subset: unpack(s.subset), trainCorrect: unpack(s.trainCorrect), testCorrect: unpack(s.testCorrect),
  trainAccuracy: s.trainAccuracy, testAccuracy: s.testAccuracy, seconds: s.seconds,
});
const readStored = (path: string): StoredTrial => decodeTrial(readFileSync(path), path, SIZES);

/** A base run of 6 knn trials, and a fresh copy of it per case. */
function fixture() {
  const dir = tempDir();
  const config = writeConfig(dir, 'tiny.json', TINY);
  const base = join(dir, 'base');
  const train = (runDir: string, trials = 6, extra: string[] = []) => ['train', '--config', config, '--model', 'knn', '--trials', String(trials), '--seed', '4', '--workers', '1', '--run-dir', runDir, ...extra];
  assert.equal(runCli(train(base)).status, 0);
  let copies = 0;
  const copy = (): string => {
    const runDir = join(dir, `copy-${copies++}`);
    cpSync(base, runDir, { recursive: true });
    return runDir;
  };
  return { dir, config, base, train, copy };
}

interface Case {
  name: string;
  run: (f: ReturnType<typeof fixture>) => Promise<void>;
}

/** estimate (and, `alsoTrain`, train with nothing to do) on a damaged copy refuses in one line, and the file stays.
 * Both read the run through the same checks (RunDirectory), so train is run for a few cases only, to keep time. */
const refused = (damage: (runDir: string) => string, message: RegExp, alsoTrain = false): Case['run'] => async (f) => {
  const runDir = f.copy();
  const left = damage(runDir);
  const results = await Promise.all([runCliAsync(['estimate', '--run-dir', runDir]), ...(alsoTrain ? [runCliAsync(f.train(runDir))] : [])]);
  for (const result of results) assertOneLine(result, message);
  assert.ok(lstatSync(left, { throwIfNoEntry: false }), `${left} is left alone`);
};

const trialPath = (runDir: string, k: number): string => join(runDir, 'trials', `trial-${String(k).padStart(6, '0')}.arrow`);

const cases: Case[] = [
  {
    name: 'a flipped bit inside a trial file',
    run: refused((runDir) => {
      const path = trialPath(runDir, 1);
      const bytes = readFileSync(path);
      const view = decodeTrial(bytes, path, SIZES).subset;
      bytes[view.bytes.byteOffset - bytes.byteOffset + 5]! ^= 0x10;
      writeFileSync(path, bytes);
      return path;
    }, /trial-000001\.arrow is damaged: its values do not match the checksum it was written with; move it out of trials\//, true),
  },
  {
    name: 'a trial trained on other data of the same shape',
    run: refused((runDir) => {
      const path = trialPath(runDir, 2);
      const stored = readStored(path);
      writeFileSync(path, encodeTrial(toRecord(stored), { ...stored.metadata, dataFingerprint: 'f'.repeat(64) }));
      return path;
    }, /trial-000002\.arrow was trained on other data \(fingerprint ffffffffffff, the run's is [0-9a-f]{12}\); move it out of/),
  },
  {
    name: 'a second file for one trial index',
    run: refused((runDir) => {
      const path = join(runDir, 'trials', 'trial-0000003.arrow');
      cpSync(trialPath(runDir, 3), path);
      return path;
    }, /trial-0000003\.arrow is not a trial file name memorize writes \(trial 3 is trial-000003\.arrow\); move it out of/),
  },
  {
    name: 'a symbolic link to a file outside the run',
    run: refused((runDir) => {
      const outside = join(runDir, '..', `outside-${Math.random()}.arrow`);
      cpSync(trialPath(runDir, 5), outside);
      symlinkSync(outside, trialPath(runDir, 6));
      return outside;
    }, /trial-000006\.arrow is a symbolic link; memorize keeps only its own plain files in trials\/: move it out of/),
  },
  {
    name: 'a dangling symbolic link',
    run: refused((runDir) => {
      symlinkSync('/nowhere/at/all', trialPath(runDir, 7));
      return trialPath(runDir, 7);
    }, /trial-000007\.arrow is a symbolic link/),
  },
  {
    name: 'a directory in trials/',
    run: refused((runDir) => {
      mkdirSync(trialPath(runDir, 8));
      return trialPath(runDir, 8);
    }, /trial-000008\.arrow is not a plain file; move it out of/, true),
  },
  {
    name: 'a run.json of null',
    run: refused((runDir) => {
      writeFileSync(join(runDir, 'run.json'), 'null');
      return join(runDir, 'run.json');
    }, /run\.json is not a memorize run\.json \(it holds null, not an object\); restore it/, true),
  },
  {
    name: 'a run.json whose config hash was edited',
    run: refused((runDir) => {
      const path = join(runDir, 'run.json');
      writeFileSync(path, readFileSync(path, 'utf8').replace(/"configHash": "[0-9a-f]+"/, `"configHash": "${'a'.repeat(64)}"`));
      return path;
    }, /run\.json was edited: its configHash aaaaaaaaaaaa is not the hash of its config \([0-9a-f]{12}\); restore the file/),
  },
  {
    name: 'an examples file with another n',
    run: async (f) => {
      const runDir = f.copy();
      const other = join(f.dir, 'other-n');
      const otherConfig = writeConfig(f.dir, 'other-n.json', { synthetic: { ...TINY.synthetic, trainSize: 200 } });
      assert.equal((await runCliAsync(['train', '--config', otherConfig, '--model', 'knn', '--trials', '1', '--workers', '1', '--run-dir', other])).status, 0);
      cpSync(join(other, 'train-examples.arrow'), join(runDir, 'train-examples.arrow'));
      const message = /train-examples\.arrow has 200 examples, the run has 300; /;
      assertOneLine(await runCliAsync(['estimate', '--run-dir', runDir]), message);
      assertOneLine(await runCliAsync(f.train(runDir)), message);
    },
  },
  {
    name: 'a missing examples file: estimate says how to restore it, and train restores it',
    run: async (f) => {
      const runDir = f.copy();
      rmSync(join(runDir, 'test-examples.arrow'));
      assertOneLine(await runCliAsync(['estimate', '--run-dir', runDir]), /cannot read .*test-examples\.arrow; `memorize train --run-dir .*` with the run's settings \(run\.json "config"\) writes it again from the data/);
      const trained = await runCliAsync(f.train(runDir));
      assert.equal(trained.status, 0, trained.stderr);
      assert.deepEqual(readFileSync(join(runDir, 'test-examples.arrow')), readFileSync(join(f.base, 'test-examples.arrow')));
      assert.equal((await runCliAsync(['estimate', '--run-dir', runDir])).status, 0);
    },
  },
  {
    name: 'a run directory or logs/ that is a plain file',
    run: async (f) => {
      const file = join(f.dir, `plain-${Math.random()}`);
      writeFileSync(file, 'not a directory');
      assertOneLine(await runCliAsync(f.train(file)), /cannot write .*plain-.* \(a directory\): a file that is not a directory is in the way \(EEXIST\)/);
      const runDir = f.copy();
      rmSync(join(runDir, 'logs'), { recursive: true });
      writeFileSync(join(runDir, 'logs'), 'not a directory');
      assertOneLine(await runCliAsync(f.train(runDir)), /logs .*(EEXIST|is a plain file)/);
      assertOneLine(await runCliAsync(['estimate', '--run-dir', runDir]), /logs.*(ENOTDIR|EEXIST)/);
    },
  },
  {
    name: 'a read-only run directory, even with nothing to do',
    run: (f) => {
      const runDir = f.copy();
      const readOnly = (args: string[]): CliResult => {
        const script = `mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"`;
        const r = spawnSync('unshare', ['-rm', 'sh', '-c', script, 'sh', runDir, process.execPath, CLI, ...args], { encoding: 'utf8' });
        return { status: r.status, stdout: r.stdout, stderr: r.stderr };
      };
      assertOneLine(readOnly(f.train(runDir)), /cannot write .*: the file system is read-only \(EROFS\); use a writable --run-dir/);
      assertOneLine(readOnly(['estimate', '--run-dir', runDir]), /EROFS/);
      return Promise.resolve();
    },
  },
  {
    name: 'a full disk during train',
    run: async (f) => {
      const runDir = join(f.dir, 'full-disk');
      assert.equal((await runCliAsync(f.train(runDir, 1))).status, 0);
      const script = 'mount -t tmpfs -o size=16k tmpfs "$1/trials" && shift && exec "$@"';
      const r = spawnSync('unshare', ['-rm', 'sh', '-c', script, 'sh', runDir, process.execPath, CLI, ...f.train(runDir, 40)], { encoding: 'utf8' });
      assertOneLine({ status: r.status, stdout: r.stdout, stderr: r.stderr }, /cannot write .*trial-0000\d\d\.arrow \(\d+\.\d kB, the space one trial file of this run needs\): no space left on the device \(ENOSPC\); free space there/);
    },
  },
  {
    name: 'names that are not own properties: constructor, toString, __proto__, hasOwnProperty, valueOf',
    run: async (f) => {
      const runDir = join(f.dir, 'proto');
      const results = await Promise.all([
        ...['constructor', 'toString', '__proto__'].map(async (name) => assertOneLine(await runCliAsync(['train', '--dataset', name, '--run-dir', runDir]), new RegExp(`unknown data set "${name}"`))),
        ...['constructor', 'toString'].map(async (name) => assertOneLine(await runCliAsync(['train', '--model', name, '--run-dir', runDir]), new RegExp(`unknown model "${name}"`))),
        ...['hasOwnProperty', 'valueOf', '__proto__'].map(async (key) => {
          const file = join(f.dir, `key-${key}.json`);
          writeFileSync(file, `{"${key}": {"x": 1}}`);
          assertOneLine(await runCliAsync(['train', '--config', file, '--run-dir', runDir]), new RegExp(`unknown setting "${key}"`));
        }),
      ]);
      assert.equal(results.length, 8);
      assert.equal(existsSync(join(runDir, 'run.json')), false, 'no run.json names them');
    },
  },
  {
    name: 'limits: --workers, --trials, 1e999, thresholds, and estimate on one trial',
    run: async (f) => {
      const runDir = join(f.dir, 'limits');
      assertOneLine(await runCliAsync([...f.train(runDir), '--workers', '999']), /--workers must be auto or an integer in \[1, \d+\] \(4 x the \d+ cores here: each worker is a process .*\), got 999/);
      assertOneLine(await runCliAsync(f.train(runDir, 1e9)), /--trials 1000000000 is more than this run can hold: at most 1000000 \(one directory of trial files\)/);
      assert.equal(existsSync(join(runDir, 'run.json')), false, '--trials is refused before run.json is written');
      assertOneLine(await runCliAsync([...f.train(runDir), '--learning-rate', '1e999']), /--learning-rate must be a number in \(0, 100\], got Infinity/);
      assert.equal((await runCliAsync(f.train(runDir, 1))).status, 0);
      assertOneLine(await runCliAsync(['estimate', '--run-dir', runDir]), /holds 1 finished trial, and estimates need at least 2/);
    },
  },
  {
    name: 'IDX files with 0 training images, and a 10-byte IDX file',
    run: async (f) => {
      const idx = (dims: number[]): Buffer => {
        const header = Buffer.alloc(4 + 4 * dims.length);
        header.writeUInt32BE(0x800 + dims.length, 0);
        dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
        return Buffer.concat([header, Buffer.alloc(dims.reduce((a, b) => a * b, 1))]);
      };
      const data = join(f.dir, 'idx-empty');
      mkdirSync(data);
      writeFileSync(join(data, 'train-images-idx3-ubyte'), idx([0, 28, 28]));
      writeFileSync(join(data, 'train-labels-idx1-ubyte'), idx([0]));
      writeFileSync(join(data, 't10k-images-idx3-ubyte'), idx([2, 28, 28]));
      writeFileSync(join(data, 't10k-labels-idx1-ubyte'), idx([2]));
      const args = ['train', '--dataset', 'mnist', '--model', 'knn', '--data-dir', data, '--run-dir', join(f.dir, 'idx-run')];
      assertOneLine(await runCliAsync(args), /mnist has 0 training examples; memorize needs at least 2/);
      assert.equal(existsSync(join(f.dir, 'idx-run', 'run.json')), false);
      writeFileSync(join(data, 'train-images-idx3-ubyte'), idx([0, 28, 28]).subarray(0, 10));
      assertOneLine(await runCliAsync(args), /train-images-idx3-ubyte: 10 bytes, shorter than the 16-byte header of an IDX image file, so it is truncated/);
    },
  },
  {
    name: 'a run whose config hash held the comment (older versions) resumes, and an edited comment changes nothing',
    run: async (f) => {
      const runDir = f.copy();
      const manifestPath = join(runDir, 'run.json');
      const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { config: Config & { comment?: string }; configHash: string };
      manifest.config.comment = 'tiny';
      const legacy = knownConfigHashes(manifest.config)[1]!;
      assert.notEqual(legacy, manifest.configHash);
      writeFileSync(manifestPath, JSON.stringify({ ...manifest, configHash: legacy }));
      for (const name of readdirSync(join(runDir, 'trials'))) {
        const stored = readStored(join(runDir, 'trials', name));
        writeFileSync(join(runDir, 'trials', name), encodeTrial(toRecord(stored), { ...stored.metadata, configHash: legacy, dataFingerprint: stored.metadata.dataFingerprint! }));
      }
      const edited = writeConfig(f.dir, 'edited-comment.json', { ...TINY, comment: 'a new comment' });
      const resumed = await runCliAsync(['train', '--config', edited, '--model', 'knn', '--trials', '8', '--seed', '4', '--workers', '1', '--run-dir', runDir]);
      assert.equal(resumed.status, 0, resumed.stderr);
      assert.match(resumed.stdout, /2 trials run, 6 already finished/);
      assert.equal(readStored(trialPath(runDir, 7)).metadata.configHash, legacy, 'new trials carry the run\'s own hash');
      assert.equal((await runCliAsync(['estimate', '--run-dir', runDir])).status, 0);
    },
  },
  {
    name: 'leftover temporaries of dead writers are removed and reported, a live writer\'s are kept',
    run: async (f) => {
      const runDir = f.copy();
      const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
      mkdirSync(join(runDir, 'estimates'));
      writeFileSync(join(runDir, 'trials', `.trial-000001.arrow.${hostname()}.${dead}.0.tmp`), '');
      writeFileSync(join(runDir, 'estimates', `.influence.arrow.${hostname()}.${dead}.1.tmp`), Buffer.alloc(1500));
      const live = join(runDir, 'trials', `.trial-000002.arrow.${hostname()}.${process.pid}.0.tmp`);
      writeFileSync(live, '');
      const trained = await runCliAsync(f.train(runDir));
      assert.equal(trained.status, 0, trained.stderr);
      assert.match(trained.stdout, /removed 2 leftover temporary file\(s\) \(1\.5 kB\) of interrupted writes/);
      assert.ok(existsSync(live), 'the live writer\'s temporary is kept');
      assert.deepEqual(readdirSync(join(runDir, 'estimates')), []);
    },
  },
];

test('bad run directories and inputs: one line, exit 2, nothing deleted', { concurrency: 2 }, async (t) => {
  const f = fixture();
  await Promise.all(cases.map((c) => t.test(c.name, () => c.run(f))));
});

// Issue 18 replaced issue 14's "a killed worker ends train with one line": its trials are retried once on a fresh
// worker (a trial whose worker dies twice ends train with one line: test/cli/stop-and-retry.test.ts).
test('a killed worker: its trials are retried on a fresh worker with the out-of-memory hint, and every trial file is sound', async () => {
  const dir = tempDir();
  const config = writeConfig(dir, 'big.json', { synthetic: { ...TINY.synthetic, trainSize: 1000, imageSize: 24 } });
  const runDir = join(dir, 'run');
  const started = startCli(['train', '--config', config, '--model', 'knn', '--trials', '400', '--workers', '2', '--run-dir', runDir]);
  const workers = (): number[] => spawnSync('ps', ['-o', 'pid=', '--ppid', String(started.child.pid)], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number);
  while (workers().length < 2 || !existsSync(join(runDir, 'trials')) || readdirSync(join(runDir, 'trials')).filter((n) => n.endsWith('.arrow')).length < 4) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const victim = workers()[0]!; // busy with a group, or (on a loaded machine) still setting up: retried either way
  process.kill(victim, 'SIGKILL');
  const result = await started.done;
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stderr, new RegExp(`(retrying trial\\(s\\) [\\d, ]+ on|starting) a fresh worker: worker process ${victim} was killed by SIGKILL \\(often the out-of-memory killer: try fewer --workers or a smaller --ensemble or --batch-size\\)`));
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
  const kept = readdirSync(join(runDir, 'trials')).filter((n) => /^trial-\d+\.arrow$/.test(n));
  for (const name of kept) decodeTrial(readFileSync(join(runDir, 'trials', name)), name, { n: 1000, nTest: 120 });
  assert.equal(kept.length, 400);
});
