// `npm run test:browser`: the report in a real browser (Debian's chromium through playwright-core), for a
// small synthetic-longtail run with compare and ablate results and for a knn run on CIFAR-10-format files
// that the test writes. It loads from file:// with no console error and no request beyond file: and data:,
// every chart has marks, every image decodes, the class picker changes the gallery; screenshots are saved.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { cliOk as cli, tempDir, trainKnnOnCifar } from '../helpers.js';

const CHROMIUM = process.env['CHROMIUM'] ?? '/usr/bin/chromium';
export const SCREENSHOTS = fileURLToPath(new URL('../../screenshots/', import.meta.url)); // dist/screenshots

let browser: Browser;
before(async () => {
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update'] });
});
after(async () => browser.close());

interface PageFacts {
  charts: number[]; // marks per chart
  images: { count: number; broken: number };
  classesShown: string[]; // data-class of the visible galleries
  firstGallerySources: string;
}

/** Opens the report, checks what a reader needs, switches the class picker, and saves screenshots. */
async function checkReport(path: string, name: string): Promise<void> {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('request', (request) => {
    if (!/^(file|data):/.test(request.url())) requests.push(request.url());
  });
  await page.route(/^(?!file:|data:)/, (route) => route.abort()); // nothing may leave the machine
  await page.goto(pathToFileURL(path).href, { waitUntil: 'load' });
  const facts = (): Promise<PageFacts> =>
    page.evaluate(() => {
      const visible = [...document.querySelectorAll<HTMLElement>('.class-gallery')].filter((g) => !g.hidden && g.offsetParent !== null);
      return {
        charts: [...document.querySelectorAll('figure.chart svg')].map((svg) => svg.querySelectorAll('g.role-mark > path, g.role-mark > g > path, g.role-mark > line').length),
        images: { count: document.images.length, broken: [...document.images].filter((img) => !img.complete || img.naturalWidth === 0).length },
        classesShown: visible.map((g) => g.dataset['class'] ?? ''),
        firstGallerySources: visible.map((g) => [...g.querySelectorAll('img')].map((img) => img.src).join(' ')).join(' '),
      };
    });
  const before = await facts();
  assert.deepEqual(problems, [], `${name}: console errors`);
  assert.ok(before.charts.length >= 4, `${name}: ${before.charts.length} charts`);
  before.charts.forEach((marks, k) => assert.ok(marks > 0, `${name}: chart ${k} has no marks`));
  assert.ok(before.images.count > 20, `${name}: ${before.images.count} images`);
  assert.equal(before.images.broken, 0, `${name}: images that did not decode`);
  assert.deepEqual(before.classesShown, ['0']);
  await page.selectOption('#class-picker', '1');
  const afterPick = await facts();
  assert.deepEqual(afterPick.classesShown, ['1'], `${name}: the picker shows class 1`);
  assert.notEqual(afterPick.firstGallerySources, before.firstGallerySources, `${name}: the gallery changed`);
  assert.ok(afterPick.firstGallerySources.length > 0);
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}-top.png`) });
  await page.locator('#influence').screenshot({ path: join(SCREENSHOTS, `${name}-influence.png`) });
  const top = await page.locator('#influence').evaluate((e) => e.getBoundingClientRect().top + window.scrollY);
  await page.screenshot({ path: join(SCREENSHOTS, `${name}-readme.png`), fullPage: true, clip: { x: 0, y: top - 8, width: 1200, height: 760 } }); // docs/report.png
  await page.screenshot({ path: join(SCREENSHOTS, `${name}-full.png`), fullPage: true });
  assert.deepEqual(requests, [], `${name}: network requests`);
  assert.deepEqual(problems, [], `${name}: console errors`);
  await page.close();
}

test('synthetic-longtail knn run with compare and ablate: the report works in chromium', async () => {
  const dir = tempDir();
  const runDir = join(dir, 'run');
  const config = join(dir, 'tiny.json');
  writeFileSync(config, JSON.stringify({ synthetic: { trainSize: 600, testSize: 300, classes: 5, subpopulationsPerClass: 40 } }));
  cli(['train', '--config', config, '--model', 'knn', '--trials', '120', '--seed', '3', '--workers', '2', '--run-dir', runDir]);
  cli(['estimate', '--run-dir', runDir]);
  cli(['pairs', '--run-dir', runDir]);
  cli(['compare', '--split-half', runDir]);
  cli(['ablate', '--from', runDir, '--runs', '1', '--thresholds', '0.05:0.95:0.3', '--workers', '1']);
  const out = cli(['report', '--run-dir', runDir]);
  assert.match(out, /report: .*index\.html/);
  await checkReport(join(runDir, 'report', 'index.html'), 'synthetic-longtail');
});

test('knn run on CIFAR-10-format files: colour images, the report works in chromium', async () => {
  const { data, runDir } = trainKnnOnCifar(tempDir(), { train: 1000, test: 300, subpopulationsPerClass: 20, trials: 100, workers: 2, seed: 1 });
  cli(['estimate', '--run-dir', runDir]);
  cli(['pairs', '--run-dir', runDir]);
  cli(['report', '--run-dir', runDir, '--data-dir', data]);
  await checkReport(join(runDir, 'report', 'index.html'), 'cifar10');
});
