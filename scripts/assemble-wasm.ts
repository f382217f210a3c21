// Build step: assembles the WebAssembly text kernels in src/ (bit-kernels.wat) with wabt into dist/, beside
// the compiled JavaScript that loads them. Run by `npm run build` after tsc.
import { readFile, writeFile } from 'node:fs/promises';
import wabt from 'wabt';

const KERNELS = ['src/estimate/bit-kernels.wat'];

const toolkit = await wabt();
for (const source of KERNELS) {
  const module = toolkit.parseWat(source, await readFile(source, 'utf8'), { simd: true });
  module.validate();
  const { buffer } = module.toBinary({});
  await writeFile(`dist/${source.replace(/\.wat$/, '.wasm')}`, buffer);
  module.destroy();
}
