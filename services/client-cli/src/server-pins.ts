/**
 * Server keys pinned per server URL (docs/contracts.md: trust on first use from the
 * USER_HELLO ACK's `server_pub`, or out of band: --server-key, compared with /identity).
 * Stored in $SOCP_HOME/known_servers.json (0600). A server that later presents another key is
 * refused.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { importPublicKey, SocpError, type RsaPublicKey } from '@socp/protocol';
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

/**
 * The key the server at `url` must present: its pin, else the one given out of band
 * (--server-key); when both exist they must be the same key (else BAD_KEY: one of them is wrong,
 * and we do not guess which).
 */
export async function expectedServerKey(home: string, url: string, outOfBand: RsaPublicKey | undefined): Promise<RsaPublicKey | undefined> {
  const pin = await pinFor(home, url);
  const pinned = pin && importPublicKey(pin.pubkey);
  if (pinned && outOfBand && !pinned.equals(outOfBand)) {
    throw new SocpError('BAD_KEY', `--server-key differs from the key pinned for ${url} in ${home}/known_servers.json (fingerprint ${pinned.fingerprint().slice(0, 16)}…); remove one of them after checking which is right`);
  }
  return pinned ?? outOfBand;
}
