// `memorize data fetch` against a loopback HTTP server: checksum verified, archives unpacked, and
// nothing left behind on a bad checksum or an unreachable server.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fetchData } from '../../src/commands/data-fetch.js';
import { UsageError } from '../../src/errors.js';
import { tempDir } from '../helpers.js';

const files = new Map<string, Buffer>();
let server: Server;
let base = '';
let closedPort = 0; // a loopback port nobody listens on
const md5 = (bytes: Buffer) => createHash('md5').update(bytes).digest('hex');

before(async () => {
  files.set('/labels.gz', Buffer.from('pretend gzip bytes'));
  const source = tempDir();
  mkdirSync(join(source, 'cifar-100-binary'));
  writeFileSync(join(source, 'cifar-100-binary', 'train.bin'), 'train records');
  spawnSync('tar', ['-czf', join(source, 'c.tar.gz'), '-C', source, 'cifar-100-binary']);
  files.set('/c.tar.gz', readFileSync(join(source, 'c.tar.gz')));
  server = createServer((request, response) => {
    const body = files.get(request.url ?? '');
    response.writeHead(body ? 200 : 404).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const probeAddress = probe.address();
  closedPort = typeof probeAddress === 'object' && probeAddress ? probeAddress.port : 0;
  await new Promise((resolve) => probe.close(resolve));
});
after(() => server.close());

test('downloads, verifies the checksum and unpacks archives into the data directory', async () => {
  const dataDir = tempDir();
  const sources = { tiny: [{ url: `${base}/labels.gz`, md5: md5(files.get('/labels.gz')!) }, { url: `${base}/c.tar.gz`, md5: md5(files.get('/c.tar.gz')!), unpack: 'tar.gz' as const }] };
  assert.equal(await fetchData({ name: 'tiny', dataDir, sources }), dataDir);
  assert.deepEqual(readFileSync(join(dataDir, 'labels.gz')), files.get('/labels.gz'));
  assert.equal(readFileSync(join(dataDir, 'cifar-100-binary', 'train.bin'), 'utf8'), 'train records');
  assert.ok(!existsSync(join(dataDir, 'c.tar.gz')), 'the archive itself is not kept');
  assert.deepEqual(readdirSync(dataDir).sort(), ['cifar-100-binary', 'labels.gz']);
});

const failures: [string, (dataDir: string) => Parameters<typeof fetchData>[0], RegExp][] = [
  ['a wrong checksum', (dataDir) => ({ name: 'x', dataDir, sources: { x: [{ url: `${base}/labels.gz`, md5: '0'.repeat(32) }] } }), /has MD5 [0-9a-f]{32}, the published checksum is 0{32}/],
  ['a missing file (HTTP 404)', (dataDir) => ({ name: 'x', dataDir, sources: { x: [{ url: `${base}/nothing`, md5: '0'.repeat(32) }] } }), /HTTP 404/],
  ['no server', (dataDir) => ({ name: 'x', dataDir, sources: { x: [{ url: `http://127.0.0.1:${closedPort}/f`, md5: '0'.repeat(32) }] } }), /could not download http:\/\/127\.0\.0\.1:\d+\/f \(ECONNREFUSED\)/],
  ['an unknown name', (dataDir) => ({ name: 'imagenet', dataDir }), /no download for "imagenet"; expected one of cifar10, cifar100, mnist, fashion-mnist/],
];
for (const [name, options, message] of failures) {
  test(`${name}: one-line UsageError, nothing left in the data directory`, async () => {
    const dataDir = tempDir();
    await assert.rejects(fetchData(options(dataDir)), (error: unknown) => error instanceof UsageError && message.test(error.message) && !error.message.includes('\n'));
    assert.deepEqual(readdirSync(dataDir), []);
  });
}
