/**
 * Opening the session's connection again after it was lost (session.ts, reconnect.ts): the same
 * server URL, the same identity, nothing asked and nothing written.
 *
 * An account user's USER_HELLO must carry the nonce of an OPAQUE log-in on the same connection
 * (docs/accounts.md), and OPAQUE needs the password: the password typed at sign-up / log-in is
 * therefore kept in this closure, in memory only, for the life of the process (the decrypted
 * private key is held there too). The account the server returns must be ours (same id, same
 * key), and its key must still be the one pinned for the URL (account-remote.ts and
 * Connection.open refuse a changed one with BAD_KEY). A server without the account extension,
 * or without our account, gets a plain hello, as at log-in. The pin exists already, so
 * Connection.open writes nothing.
 */
import { SocpError } from '@socp/protocol';
import { loginRemote } from './account-remote';
import { Connection, type OpenOptions } from './connection';
import type { Account } from './keystore';

export function redialer(url: string, home: string, account: Account, password: string, o: Pick<OpenOptions, 'serverKey' | 'keyFormat'> = {}): () => Promise<Connection> {
  return async () => {
    const remote = await loginRemote(url, home, account.name, password, true, o.serverKey);
    const theirs = remote.account;
    if (theirs && (theirs.userId !== account.userId || !theirs.key.publicKey.equals(account.key.publicKey))) {
      remote.ws?.terminate();
      throw new SocpError('BAD_KEY', `the server's account ${account.name} is no longer ours (another user id or key)`);
    }
    return Connection.open(url, account, { ...o, home, pre: remote });
  };
}
