/**
 * Server keys pinned per server URL (docs/contracts.md: trust on first use from the
 * USER_HELLO ACK's `server_pub`, or out of band from /identity). Stored in
 * $SOCP_HOME/known_servers.json (0600). A server that later presents another key is refused.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writePrivateFile } from './private-files';

export interface Pin { server_id: string; pubkey: string; pinned_at: number }

const file = (home: string): string => join(home, 'known_servers.json');

export async function readPins(home: string): Promise<Record<string, Pin>> {
  try {
    const v: unknown = JSON.parse(await readFile(file(home), 'utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, Pin>) : {};
  } catch {
    return {};
  }
}

export async function pinFor(home: string, url: string): Promise<Pin | undefined> {
  const p = (await readPins(home))[url];
  return p && typeof p.pubkey === 'string' && typeof p.server_id === 'string' ? p : undefined;
}

export async function savePin(home: string, url: string, pin: Pin): Promise<void> {
  const all = await readPins(home);
  all[url] = pin;
  await writePrivateFile(file(home), `${JSON.stringify(all, null, 2)}\n`);
}
