// The version of this memorize (package.json), for `memorize --version` and run.json.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export function memorizeVersion(): string {
  return (require('../../package.json') as { version: string }).version;
}
