// `memorize backends`: every backend in `auto` order, available or why not, and auto's pick.
import { probeBackends } from '../backend/select.js';
import { table } from './report.js';

export async function formatBackends(): Promise<string> {
  const reports = await probeBackends();
  const pick = reports.find((r) => r.status === 'available');
  const rows = reports.map((r) => [r.name, r.status, r.detail]);
  return `${table(['backend', 'status', 'device or reason'], rows)}\n--backend auto picks: ${pick?.name ?? 'none'}`;
}
