// `memorize data fetch <name>`: download a data set from its official source, verify the published
// MD5 checksums, and unpack it where the loaders look. Nothing is left behind on failure.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defaultDataDirectory } from '../data/locate.js';
import { UsageError } from '../errors.js';

/** A file to download and its published MD5; archives are unpacked with tar. */
export interface Resource {
  url: string;
  md5: string;
  unpack?: 'tar.gz';
}

const TORONTO = 'https://www.cs.toronto.edu/~kriz';
const MNIST = 'https://ossci-datasets.s3.amazonaws.com/mnist'; // torchvision's mirror of yann.lecun.com
const FASHION = 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com'; // Zalando's official bucket

/** Official sources and checksums (the authors' pages, as torchvision uses them). */
export const SOURCES: Record<string, Resource[]> = {
  cifar10: [{ url: `${TORONTO}/cifar-10-binary.tar.gz`, md5: 'c32a1d4ab5d03f1284b67883e8d87530', unpack: 'tar.gz' }],
  cifar100: [{ url: `${TORONTO}/cifar-100-binary.tar.gz`, md5: '03b5dce01913d631647c71ecec9e9cb8', unpack: 'tar.gz' }],
  mnist: [
    { url: `${MNIST}/train-images-idx3-ubyte.gz`, md5: 'f68b3c2dcbeaaa9fbdd348bbdeb94873' },
    { url: `${MNIST}/train-labels-idx1-ubyte.gz`, md5: 'd53e105ee54ea40749a09fcbcd1e9432' },
    { url: `${MNIST}/t10k-images-idx3-ubyte.gz`, md5: '9fb629c4189551a2d022fa330f9573f3' },
    { url: `${MNIST}/t10k-labels-idx1-ubyte.gz`, md5: 'ec29112dd5afa0611ce80d1b7f02629c' },
  ],
  'fashion-mnist': [
    { url: `${FASHION}/train-images-idx3-ubyte.gz`, md5: '8d4fb7e6c68d591d4c3dfef9ec88bf0d' },
    { url: `${FASHION}/train-labels-idx1-ubyte.gz`, md5: '25c81989df183df01b3e8a0aad5dffbe' },
    { url: `${FASHION}/t10k-images-idx3-ubyte.gz`, md5: 'bef4ecab320f06d8554ea6380940ec79' },
    { url: `${FASHION}/t10k-labels-idx1-ubyte.gz`, md5: 'bb300cfdad3c16e7a12a480ee83cd310' },
  ],
};

export interface FetchOptions {
  name: string;
  dataDir?: string; // where to put it (default: $MEMORIZE_DATA/<name>, else ~/.cache/memorize/<name>)
  sources?: Record<string, Resource[]>; // for tests
  responseTimeoutMs?: number; // how long to wait for a server to answer
}

async function download(resource: Resource, timeoutMs: number): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(resource.url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const { cause } = error as { cause?: { code?: string; message?: string } };
    const reason = cause?.code ?? cause?.message ?? (error as Error).message;
    throw new UsageError(`could not download ${resource.url} (${reason}); without network access, copy the files into --data-dir DIR by hand`);
  }
  if (!response.ok) throw new UsageError(`could not download ${resource.url}: HTTP ${response.status}; try again later or copy the files by hand`);
  return new Uint8Array(await response.arrayBuffer());
}

/** Downloads, verifies and unpacks data set `name`; returns the directory it is in. */
export async function fetchData(options: FetchOptions): Promise<string> {
  const sources = options.sources ?? SOURCES;
  const resources = Object.hasOwn(sources, options.name) ? sources[options.name] : undefined; // own names only, not "constructor"
  if (!resources) throw new UsageError(`no download for "${options.name}"; expected one of ${Object.keys(sources).join(', ')}`);
  const target = options.dataDir ?? defaultDataDirectory(options.name);
  await mkdir(target, { recursive: true });
  const staging = await mkdtemp(join(target, '.fetch-'));
  try {
    for (const resource of resources) {
      const bytes = await download(resource, options.responseTimeoutMs ?? 30_000);
      const md5 = createHash('md5').update(bytes).digest('hex');
      if (md5 !== resource.md5) throw new UsageError(`${resource.url} has MD5 ${md5}, the published checksum is ${resource.md5}; the download is corrupt or the file changed: try again`);
      const file = join(staging, resource.url.slice(resource.url.lastIndexOf('/') + 1));
      await writeFile(file, bytes);
      if (resource.unpack === 'tar.gz') {
        const tar = spawnSync('tar', ['-xzf', file, '-C', staging], { encoding: 'utf8' });
        if (tar.status !== 0) throw new UsageError(`could not unpack ${file} with tar: ${(tar.stderr || String(tar.error)).trim().split('\n')[0]}`);
        await rm(file);
      }
    }
    // Verified: move everything into place.
    for (const entry of await readdir(staging)) {
      await rm(join(target, entry), { recursive: true, force: true });
      await rename(join(staging, entry), join(target, entry));
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return target;
}
