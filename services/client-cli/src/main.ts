#!/usr/bin/env node
/**
 * `socp` — the SOCP command-line client (composition root).
 *
 *   socp signup [--name N]   new RSA-4096 identity, keystore, claim the name, start chatting
 *   socp login  [--name N]   open the keystore with the password, connect, start chatting
 */
import './wasm-flags';
import { SocpError } from '@socp/protocol';
import { loadConfig, type CliOptions, type ClientConfig } from './config';
import { Connection } from './connection';
import { ServerRotation } from './failover';
import { loginRemote, registerRemote } from './account-remote';
import { JsonUi } from './json-ui';
import { accountExists, newAccount, openAccount, saveAccount, type Account } from './keystore';
import { LineReader } from './line-input';
import { pipeAsker, ttyAsker, type Asker } from './prompts';
import { firstReachable, redialer, type DialOptions } from './redial';
import { Session } from './session';
import { TerminalUi } from './terminal-ui';
import { USER_NAME_RE } from './limits';
import { ensurePrivateDir } from './private-files';
import { endCli } from './exit';
import { join } from 'node:path';

const MIN_PASSWORD_CHARS = 8;

class Io {
  readonly tty = process.stdin.isTTY === true && process.stdout.isTTY === true;
  readonly reader = this.tty ? undefined : new LineReader(process.stdin);
  readonly ask: Asker = this.reader ? pipeAsker(this.reader) : ttyAsker();
  constructor(readonly cfg: ClientConfig) {}
  /** Progress notes: stderr in JSON mode so stdout stays pure JSON. */
  note(text: string): void {
    (this.cfg.json ? process.stderr : process.stdout).write(`${text}\n`);
  }
}

async function askName(io: Io, preset: string | undefined): Promise<string> {
  for (let name = preset; ; name = undefined) {
    const n = (name ?? (await io.ask.line('user name: '))).trim();
    if (USER_NAME_RE.test(n)) return n;
    if (!io.tty || preset !== undefined) throw new SocpError('SOCP_ERR_CONFIG', 'user names are 1–32 letters, digits, "_", "." or "-", starting with a letter or digit');
    io.note('user names are 1–32 letters, digits, "_", "." or "-", starting with a letter or digit');
  }
}

async function askPassword(io: Io, confirm: boolean): Promise<string> {
  if (io.cfg.passwordStdin && io.tty) throw new SocpError('SOCP_ERR_CONFIG', '--password-stdin needs the password piped into stdin');
  if (io.cfg.password !== undefined || !io.tty) {
    const p = io.cfg.password ?? (await io.ask.hidden('password: '));
    if (confirm && p.length < MIN_PASSWORD_CHARS) throw new SocpError('SOCP_ERR_CONFIG', `use a password of at least ${MIN_PASSWORD_CHARS} characters`);
    return p;
  }
  for (;;) {
    const p = await io.ask.hidden('password: ');
    if (confirm && p.length < MIN_PASSWORD_CHARS) {
      io.note(`use at least ${MIN_PASSWORD_CHARS} characters`);
      continue;
    }
    if (!confirm) return p;
    if ((await io.ask.hidden('password again: ')) === p) return p;
    io.note('the passwords differ; try again');
  }
}

/** How every connection of this run is opened (the server key given out of band, our key's encoding). */
const dialOptions = (cfg: ClientConfig): DialOptions => ({ serverKey: cfg.serverKey, keyFormat: cfg.keyFormat });

/**
 * `accountUrl`: where the log-in found our account (its home; undefined: a server without
 * accounts): reconnects start there, and log in only there (redial.ts, failover.ts).
 */
async function connectAndRun(io: Io, account: Account, conn: Connection, password: string, accountUrl: string | undefined): Promise<number> {
  const me = { userId: account.userId, name: account.name, key: account.key };
  const ui = io.cfg.json ? new JsonUi(io.reader ?? new LineReader(process.stdin)) : new TerminalUi(io.tty, `${account.name}> `, io.reader);
  const rotation = new ServerRotation(io.cfg.serverUrls, accountUrl ?? conn.url);
  const redial = redialer(rotation, io.cfg.home, account, password, accountUrl, dialOptions(io.cfg));
  return new Session(conn, me, ui, io.cfg.downloads, { home: io.cfg.home, redial, deadAfterMs: io.cfg.deadAfterMs, contentSig: io.cfg.contentSig, sendDir: io.cfg.sendDir }).run();
}

async function signup(io: Io): Promise<number> {
  let name = await askName(io, io.cfg.name);
  if (await accountExists(io.cfg.home, name)) throw new SocpError('SOCP_ERR_KEYSTORE', `an account named ${name} already exists in ${io.cfg.home}; use "socp login"`);
  const password = await askPassword(io, true);
  await ensurePrivateDir(join(io.cfg.home, 'accounts')); // fail before the server binds the name, not after
  io.note('generating your RSA-4096 key…');
  let account = await newAccount(name, io.cfg.rsaPrimes);
  for (;;) {
    try {
      // The home server keeps the account (OPAQUE record + privkey_store): log in from anywhere later.
      const acc = account;
      const { conn, pre } = await firstReachable(io.cfg.serverUrls, async (url) => {
        const pre = await registerRemote(url, io.cfg.home, acc, password, io.cfg.serverKey);
        return { pre, conn: await Connection.open(url, acc, { ...dialOptions(io.cfg), home: io.cfg.home, pre }) };
      });
      await saveAccount(io.cfg.home, account, password);
      io.note(`account ${name} saved in ${io.cfg.home} (private key encrypted with your password)`);
      return await connectAndRun(io, account, conn, password, pre.nonce === undefined ? undefined : conn.url);
    } catch (e) {
      if (!(e instanceof SocpError && e.code === 'NAME_IN_USE') || !io.tty) throw e;
      io.note(`the name "${name}" is already taken on this server; choose another`);
      for (;;) {
        name = await askName(io, undefined);
        if (!(await accountExists(io.cfg.home, name))) break;
        io.note(`an account named ${name} already exists here`);
      }
      account = { ...account, name };
    }
  }
}

async function login(io: Io): Promise<number> {
  const name = await askName(io, io.cfg.name);
  const password = await askPassword(io, false);
  // A local keystore is opened first: a wrong password fails here, before any connection.
  const local = (await accountExists(io.cfg.home, name)) ? await openAccount(io.cfg.home, name, password) : undefined;
  const { conn, account, accountUrl } = await firstReachable(io.cfg.serverUrls, async (url) => {
    const remote = await loginRemote(url, io.cfg.home, name, password, local !== undefined, io.cfg.serverKey);
    const account = remote.account ?? local;
    if (account === undefined) throw new SocpError('SOCP_ERR_KEYSTORE', 'login failed: wrong user name or password');
    if (local && remote.account && !local.key.publicKey.equals(remote.account.key.publicKey)) {
      remote.ws?.terminate();
      throw new SocpError('BAD_KEY', `the server's account ${name} holds another key than your keystore in ${io.cfg.home}`);
    }
    const conn = await Connection.open(url, account, { ...dialOptions(io.cfg), home: io.cfg.home, pre: remote });
    return { conn, account, accountUrl: remote.nonce === undefined ? undefined : url };
  });
  if (!local) {
    await ensurePrivateDir(join(io.cfg.home, 'accounts'));
    await saveAccount(io.cfg.home, account, password);
    io.note(`logged in from a new device: account ${name} saved in ${io.cfg.home}`);
  }
  return connectAndRun(io, account, conn, password, accountUrl);
}

function explain(e: unknown): string {
  if (e instanceof SocpError) {
    if (e.code === 'NAME_IN_USE') return `that name is already taken on this server (${e.message}); choose another name`;
    if (e.code === 'SOCP_ERR_KEYSTORE') return e.message;
    return `${e.message}`;
  }
  return e instanceof Error ? e.message : String(e);
}

async function run(action: (io: Io) => Promise<number>, opts: CliOptions): Promise<void> {
  let json = opts.json === true;
  let exitCode = 1;
  try {
    const io = new Io(loadConfig(opts, process.env));
    json = io.cfg.json;
    exitCode = await action(io);
  } catch (e) {
    const code = e instanceof SocpError ? e.code : 'ERROR';
    if (json) process.stdout.write(`${JSON.stringify({ event: 'fatal', code, detail: explain(e) })}\n`);
    process.stderr.write(`socp: ${explain(e)}\n`);
  }
  endCli(exitCode);
}

async function main(): Promise<void> {
  // commander 15 is ESM-only; a dynamic import loads it from this CommonJS build.
  const { Command } = await import('commander');
  const program = new Command()
  .exitOverride() // usage errors and --help throw (CommanderError) and end through endCli, not process.exit()
  .name('socp')
  .description('SOCP v1.3 end-to-end-encrypted chat client')
  .option('--server <url>', 'server WebSocket URL; repeat it for failover, in order of preference (env SOCP_SERVER_URLS=ws://a,ws://b or SOCP_SERVER_URL, default ws://127.0.0.1:9101)', (url: string, prev: string[] = []) => [...prev, url])
  .option('--home <dir>', 'keystore directory (env SOCP_HOME, default ~/.socp)')
  .option('--downloads <dir>', 'where received files go (env SOCP_DOWNLOADS, default $SOCP_HOME/downloads)')
  .option('--json', 'print events as JSON lines; read commands from stdin')
  .option('--password-stdin', 'read the password from the first line of stdin (or set SOCP_PASSWORD)')
  .option('--server-key <key>', "the server's public key, b64url DER or PEM-b64url, for a server that sends no hello ACK (env SOCP_SERVER_KEY)");

  for (const [cmd, desc, action] of [
    ['signup', 'create an identity (RSA-4096 key, user id), claim a name and start chatting', signup],
    ['login', 'open your keystore with your password and start chatting', login],
  ] as const) {
    program
      .command(cmd)
      .description(desc)
      .option('--name <name>', 'user name (asked when absent)')
      .action((local: { name?: string }) => run(action, { ...program.opts<CliOptions>(), ...local }));
  }
  await program.parseAsync(process.argv);
}

main().catch((e: unknown) => {
  // commander already printed its usage message or the help.
  const usage = e instanceof Error && e.name === 'CommanderError' ? (e as Error & { exitCode: number }).exitCode : undefined;
  if (usage === undefined) process.stderr.write(`socp: ${e instanceof Error ? e.message : String(e)}\n`);
  endCli(usage ?? 2);
});
