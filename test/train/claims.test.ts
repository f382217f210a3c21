// Claims on trials: exclusive, renewed, released, and taken over only when their holder is gone or their
// lease expired; status reads them back.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, utimesSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ClaimBook, currentHolder, describeHolder, listClaims } from '../../src/train/claims.js';

const runRoot = (): string => mkdtempSync(join(tmpdir(), 'memorize-claims-'));
/** A holder on this host whose process is gone: a pid that just exited. */
const deadHolder = () => ({ ...currentHolder({}), pid: spawnSync(process.execPath, ['-e', '']).pid });

test('a claim is exclusive while its holder lives and renews it', async () => {
  const root = runRoot();
  const a = new ClaimBook(root);
  const b = new ClaimBook(root, { ...currentHolder({}), pid: process.ppid }); // another live process on this host
  assert.deepEqual(await a.claim(7), { claimed: true });
  const refused = await b.claim(7);
  assert.equal(refused.claimed, false);
  assert.equal(!refused.claimed && refused.holder.token, a.holder.token);
  assert.deepEqual(await a.renew(), []);
  await a.release(7);
  assert.deepEqual(readdirSync(join(root, 'claims')), []);
  assert.deepEqual(await b.claim(7), { claimed: true }, 'released: the next one gets it');
});

test('the claim of a holder that is gone (same host, pid not running) is taken over', async () => {
  const root = runRoot();
  const dead = new ClaimBook(root, deadHolder());
  assert.equal((await dead.claim(3)).claimed, true);
  const alive = new ClaimBook(root);
  const taken = await alive.claim(3);
  assert.equal(taken.claimed, true);
  assert.equal(taken.claimed && taken.tookOver?.pid, dead.holder.pid);
  assert.deepEqual(await dead.renew(), [3], 'the old holder learns that it lost the claim');
  await dead.release(3); // not its claim any more: nothing removed
  assert.deepEqual((await listClaims(root)).map((c) => c.holder.token), [alive.holder.token]);
});

test('a claim not renewed within its lease is taken over, from another host too', async () => {
  const root = runRoot();
  const remote = new ClaimBook(root, { ...currentHolder({}), host: `not-${hostname()}`, pid: 1 }, 60_000);
  assert.equal((await remote.claim(5)).claimed, true);
  const local = new ClaimBook(root, currentHolder({}), 60_000);
  assert.equal((await local.claim(5)).claimed, false, 'another host, lease running: kept');
  const old = new Date(Date.now() - 120_000);
  utimesSync(join(root, 'claims', 'trial-000005.claim'), old, old);
  const [listed] = await listClaims(root, 60_000);
  assert.equal(listed?.stale, true);
  assert.equal((await local.claim(5)).claimed, true);
});

test('holders name their Slurm job and task', () => {
  const holder = currentHolder({ SLURM_ARRAY_JOB_ID: '41', SLURM_JOB_ID: '44', SLURM_ARRAY_TASK_ID: '3' });
  assert.equal(holder.job, '41');
  assert.equal(holder.task, '3');
  assert.equal(describeHolder(holder), `${hostname()} pid ${process.pid} (Slurm job 41 task 3)`);
  assert.equal(describeHolder(currentHolder({ SLURM_JOB_ID: '44' })), `${hostname()} pid ${process.pid} (Slurm job 44)`);
});
