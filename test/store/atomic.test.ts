// Atomic writes flush the directory after the rename (seen with strace), and writeFileAtomicIfAbsent lets
// exactly one of several writers create a file.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { writeFileAtomicIfAbsent } from '../../src/store/atomic.js';
import { tempDir } from '../helpers.js';

const ATOMIC = fileURLToPath(new URL('../../src/store/atomic.js', import.meta.url));

test('writeFileAtomic renames the flushed temporary into place, then fsyncs the directory', () => {
  const dir = tempDir();
  const script = `const { writeFileAtomic } = await import(${JSON.stringify(ATOMIC)}); await writeFileAtomic(${JSON.stringify(join(dir, 'f.json'))}, 'hello');`;
  const traced = spawnSync('strace', ['-f', '-e', 'trace=openat,fdatasync,fsync,rename', process.execPath, '--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(traced.status, 0, traced.stderr);
  const calls = traced.stderr.split('\n');
  const renamed = calls.findIndex((l) => /rename\(".*\.f\.json\..*\.tmp", ".*\/f\.json"\) = 0/.test(l));
  const opened = calls.findIndex((l, i) => i > renamed && l.includes(`openat(AT_FDCWD, "${dir}", O_RDONLY`));
  assert.ok(renamed > 0 && calls.slice(0, renamed).some((l) => /fdatasync\(\d+\)\s+= 0/.test(l)), 'the temporary is flushed before the rename');
  const fd = /= (\d+)$/.exec(calls[opened] ?? '')?.[1];
  assert.ok(opened > renamed && fd, 'the directory is opened after the rename');
  assert.ok(calls.slice(opened).some((l) => new RegExp(`fsync\\(${fd}\\)\\s+= 0`).test(l)), 'and fsynced');
  assert.equal(readFileSync(join(dir, 'f.json'), 'utf8'), 'hello');
});

test('of writers racing to create one file, exactly one wins and the file is whole', async () => {
  const path = join(tempDir(), 'run.json');
  const wins = await Promise.all(Array.from({ length: 8 }, (_, k) => writeFileAtomicIfAbsent(path, `writer ${k}`)));
  assert.equal(wins.filter(Boolean).length, 1);
  assert.equal(readFileSync(path, 'utf8'), `writer ${wins.indexOf(true)}`);
});
