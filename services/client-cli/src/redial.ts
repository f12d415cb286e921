/**
 * Opening the session's connection (again): the same identity, nothing asked, on one of the
 * configured servers (failover.ts chooses which: the account's home first, the next URL once a
 * server is gone).
 *
 * An account user's USER_HELLO at its home must carry the nonce of an OPAQUE log-in on the same
 * connection (docs/accounts.md), and OPAQUE needs the password: the password typed at sign-up /
 * log-in is therefore kept in this closure, in memory only, for the life of the process (the
 * decrypted private key is held there too). The account the server returns must be ours (same
 * id, same key), and its key must still be the one pinned for the URL (account-remote.ts and
 * Connection.open refuse a changed one with BAD_KEY). On a server that does not hold our
 * account (we know where it lives), the hello is plain — signed, with `bind`, which proves the
 * key — and no log-in is tried there (a failing one would count against the name). A server
 * dialled for the first time has its key pinned on first use, per URL.
 */
import { SocpError } from '@socp/protocol';
import { loginRemote } from './account-remote';
import { Connection, type OpenOptions } from './connection';
import { serverGone, type ServerRotation } from './failover';
import type { Account } from './keystore';

export type DialOptions = Pick<OpenOptions, 'serverKey' | 'keyFormat'>;

/** One connection to `url`: log in where the account lives (or where we do not know), else a plain hello. */
export async function dialOnce(url: string, home: string, account: Account, password: string, accountUrl: string | undefined, o: DialOptions): Promise<Connection> {
  if (accountUrl !== undefined && url !== accountUrl) return Connection.open(url, account, { ...o, home });
  const remote = await loginRemote(url, home, account.name, password, true, o.serverKey);
  const theirs = remote.account;
  if (theirs && (theirs.userId !== account.userId || !theirs.key.publicKey.equals(account.key.publicKey))) {
    remote.ws?.terminate();
    throw new SocpError('BAD_KEY', `the server's account ${account.name} is no longer ours (another user id or key)`);
  }
  return Connection.open(url, account, { ...o, home, pre: remote });
}

/**
 * Try `connect` on the current server, moving on along the rotation while servers are gone
 * (each URL at most once per call); the last failure is thrown.
 */
export async function connectRotating<T>(rotation: ServerRotation, connect: (url: string) => Promise<T>): Promise<T> {
  for (let tried = 1; ; tried++) {
    try {
      const c = await connect(rotation.current);
      rotation.succeeded();
      return c;
    } catch (e) {
      if (!rotation.failed(e) || tried >= rotation.urls.length) throw e;
    }
  }
}

/** The Reconnector's dial: attempt 1 of a sequence starts again at the preferred server. */
export function redialer(rotation: ServerRotation, home: string, account: Account, password: string, accountUrl: string | undefined, o: DialOptions = {}): (attempt: number) => Promise<Connection> {
  return (attempt) => {
    if (attempt === 1) rotation.restart();
    return connectRotating(rotation, (url) => dialOnce(url, home, account, password, accountUrl, o));
  };
}

/** At start-up: the first configured server that is there (each tried once, in order). */
export async function firstReachable<T>(urls: readonly string[], connect: (url: string) => Promise<T>): Promise<T> {
  for (const [i, url] of urls.entries()) {
    try {
      return await connect(url);
    } catch (e) {
      if (!serverGone(e) || i === urls.length - 1) throw e;
    }
  }
  throw new SocpError('SOCP_ERR_CONFIG', 'no server URL');
}
