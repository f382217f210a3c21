// Reads a JSON config file of partial overrides (see configs/).
import { readFile } from 'node:fs/promises';
import { UsageError } from '../errors.js';
import { validateOverrides, type ConfigOverrides } from './schema.js';

export async function readConfigFile(path: string): Promise<ConfigOverrides> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new UsageError(`cannot read config file ${path}; check the --config path`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`config file ${path} is not valid JSON (${(error as Error).message})`);
  }
  return validateOverrides(raw, path);
}
