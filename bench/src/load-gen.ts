#!/usr/bin/env node
/**
 * The load generator: a separate process (forked by run-bench with an IPC channel) so its CPU
 * is measured apart from the servers'. Commands (request {id, cmd, args} → reply {id, ok,
 * result|error}; progress lines as {progress}):
 *   setup {urlA, urlB, pairs, keys, primes}   key pool (keys of `primes` primes), 16 senders on A and 16 receivers on B, rosters
 *   dmPrepare {rate, seconds}         build one step of the DM ramp (dm-load.ts), untimed
 *   dmRun                             send it and collect the arrivals
 *   file {size, timeoutMs, path}      one file A → B, path "multi-block" or "spec" (file-transfer.ts)
 *   presencePrepare {n}               sign n USER_HELLOs (presence-load.ts)
 *   presenceStart / presenceStop      connect them all / close them all
 *   cpu                               this process's CPU seconds so far
 * Exits when the IPC channel closes (the bench ended or died).
 */
import { randomUUID } from 'node:crypto';
import { generateKeyPair, type RsaPrimeCount, type RsaPrivateKey } from '@socp/protocol';
import { BenchUser } from './bench-user';
import { prepareDmStep, runDmStep, type Pair, type PreparedStep } from './dm-load';
import { transferFile, type FilePath } from './file-transfer';
import { PresenceLoad } from './presence-load';

let keys: RsaPrivateKey[] = [];
let pairs: Pair[] = [];
let presence: PresenceLoad | undefined;
let step: PreparedStep | undefined;

const progress = (line: string): void => void process.send?.({ progress: line });

async function setup(a: { urlA: string; urlB: string; pairs: number; keys: number; primes: RsaPrimeCount }): Promise<unknown> {
  keys = await Promise.all(Array.from({ length: a.keys }, () => generateKeyPair(a.primes)));
  const senders = await Promise.all(Array.from({ length: a.pairs }, (_, i) => BenchUser.connect(a.urlA, keys[i % keys.length]!, randomUUID())));
  const receivers = await Promise.all(Array.from({ length: a.pairs }, (_, i) => BenchUser.connect(a.urlB, keys[(i + 1) % keys.length]!, randomUUID())));
  pairs = await Promise.all(senders.map(async (s, i) => {
    const r = receivers[i]!;
    return { sender: s, receiver: r, recipientKey: await s.peerKey(r.id, 30_000), senderKey: await r.peerKey(s.id, 30_000) };
  }));
  return { senders: senders.map((s) => s.id), receivers: receivers.map((r) => r.id), keys: keys.length };
}

async function handle(cmd: string, a: Record<string, unknown>): Promise<unknown> {
  const num = (k: string): number => a[k] as number;
  switch (cmd) {
    case 'setup': return setup(a as never);
    case 'dmPrepare':
      step = await prepareDmStep(pairs, num('rate'), num('seconds'));
      return { messages: step.msgs.length, precompute_s: step.precomputeS };
    case 'dmRun': {
      const s = step!;
      step = undefined;
      return runDmStep(s);
    }
    case 'file': return transferFile(pairs[0]!, num('size'), num('timeoutMs'), progress, a['path'] as FilePath);
    case 'presencePrepare':
      presence = await PresenceLoad.prepare(a['urls'] as string[], num('n'), keys);
      return { prepared: num('n') };
    case 'presenceStart':
      await presence!.start();
      return presence!.counters;
    case 'presenceCounters': return presence?.counters;
    case 'presenceStop': {
      const c = presence?.counters;
      await presence?.stop();
      presence = undefined;
      return c;
    }
    case 'cpu': {
      const u = process.cpuUsage();
      return { cpu_s: (u.user + u.system) / 1e6 };
    }
    default: throw new Error(`unknown command ${cmd}`);
  }
}

process.on('message', (m: { id: number; cmd: string; args: Record<string, unknown> }) => {
  handle(m.cmd, m.args).then(
    (result) => process.send?.({ id: m.id, ok: true, result }),
    (e: unknown) => process.send?.({ id: m.id, ok: false, error: e instanceof Error ? e.stack ?? e.message : String(e) }),
  );
});
process.on('disconnect', () => process.exit(0));
