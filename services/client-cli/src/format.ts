/**
 * Human-readable lines for each event (terminal mode). Every peer-supplied string passes
 * through safeText/safeLabel; colours come from picocolors only when enabled (a TTY).
 */
import { createColors } from 'picocolors';
import { isPrinted, type ClientEvent, type UserRef } from './events';
import { safeLabel, safeText } from './display-text';

type Colors = ReturnType<typeof createColors>;

const time = (ts: number): string => new Date(ts).toTimeString().slice(0, 8);
const short = (id: string): string => id.slice(0, 8);
const who = (u: UserRef): string => safeLabel(u.handle ?? u.name ?? u.userId, 80);

export function humanBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** The key fingerprint in groups of four, for comparing out of band. */
export function groupedFingerprint(hex: string): string {
  return hex.match(/.{1,4}/g)!.join(' ');
}

export function formatEvent(e: ClientEvent, c: Colors, now = Date.now()): string | undefined {
  if (!isPrinted(e)) return undefined;
  switch (e.event) {
    case 'ready':
      return [
        c.green(`connected as ${safeLabel(e.name)} (${e.userId}) to server ${short(e.serverId)}`),
        e.pinned === 'new'
          ? c.yellow(`server key pinned on first use: ${groupedFingerprint(e.serverFingerprint.slice(0, 32))}…`)
          : c.dim(`server key matches the pinned one (${groupedFingerprint(e.serverFingerprint.slice(0, 16))}…)`),
        c.dim('type /help for commands'),
      ].join('\n');
    case 'presence':
      return c.dim(`* ${who(e.user)} is ${e.action} (server ${short(e.user.serverId)})`);
    case 'message': {
      const arrow = e.kind === 'dm' ? `${c.bold(who(e.from))} → you` : `${c.bold(who(e.from))} → all`;
      const line = `${c.dim(`[${time(e.ts)}]`)} ${e.kind === 'public' ? c.cyan(arrow) : c.magenta(arrow)}: ${safeText(e.text)}`;
      if (e.firstContact === undefined) return line;
      return `${line}\n${c.yellow(`  new contact: key pinned on first use (${groupedFingerprint(e.firstContact.slice(0, 32))}…); compare fingerprints with /whois ${e.from.userId}`)}`;
    }
    case 'sent': {
      const to = e.kind === 'dm' ? e.to.map((t) => safeLabel(t)).join(', ') : `all (${e.to.length} online)`;
      return `${c.dim(`[${time(now)}]`)} you → ${to}: ${safeText(e.text)}`;
    }
    case 'warning':
      return c.yellow(`! ${safeText(e.detail)}${/^[A-Z_]+$/.test(e.code) ? c.dim(` [${e.code}]`) : ''}`);
    case 'server-error':
      return c.red(`! server: ${safeLabel(e.code)}${e.detail ? ` — ${safeText(e.detail)}` : ''}`);
    case 'info':
      return e.text;
    case 'delivery':
      if (e.status === 'failed') return c.red(`[${time(e.ts)}] → ${safeLabel(e.to)}: ✗ failed [${safeLabel(e.code ?? 'ERROR')}]`);
      if (e.status === 'unconfirmed') return c.yellow(`[${time(e.ts)}] → ${safeLabel(e.to)}: ? not confirmed [${safeLabel(e.code ?? 'TIMEOUT')}] (their server's link was lost; a receipt follows if it arrived)`);
      return e.status === 'delivered' ? c.green(`[${time(e.ts)}] → ${safeLabel(e.to)}: ✓ delivered`) : c.dim(`[${time(e.ts)}] → ${safeLabel(e.to)}: queued (offline; waits at their home server)`);
    case 'list': {
      if (e.users.length === 0) return 'nobody is online';
      const width = Math.min(32, Math.max(...e.users.map((u) => who(u).length)));
      const rows = e.users.map((u) => `  ${who(u).padEnd(width)}  server ${short(u.serverId)}  ${c.dim(u.userId)}${u.self ? c.green(' (you)') : ''}`);
      return [`${e.users.length} online:`, ...rows].join('\n');
    }
    case 'whois':
      return [
        `${who(e.user)}${e.self ? ' (you)' : ''}`,
        `  user id:     ${e.user.userId}`,
        `  server:      ${e.user.serverId}`,
        `  fingerprint: ${groupedFingerprint(e.fingerprint)}`,
      ].join('\n');
    case 'file-offered':
      return c.dim(`${who(e.from)} is sending "${safeLabel(e.transfer.offeredName)}" (${humanBytes(e.transfer.size)})…`);
    case 'file-received': {
      const line = c.green(`✓ received "${safeLabel(e.transfer.name)}" from ${who(e.from)} (${e.transfer.size} bytes, sha256 ok) → ${safeText(e.path)}`);
      if (e.transfer.unsignedChunks === 0) return line;
      return `${line}\n${c.yellow(`  sender not verified: ${e.transfer.unsignedChunks} chunk(s) carried no signature (a spec-form sender); only the manifest's size and SHA-256, vouched for by your server, hold this file together`)}`;
    }
    case 'file-failed':
      return c.red(`✗ file "${safeLabel(e.transfer.offeredName)}" discarded: ${safeText(e.detail)}`);
    case 'file-sent':
      return c.green(`✓ sent "${safeLabel(e.name)}" to ${safeLabel(e.to)} (${e.size} bytes, sha256 ${e.sha256.slice(0, 16)}…)`);
    case 'closed':
      return c.dim(e.reason === 'bye' ? 'bye' : `disconnected: ${safeText(e.reason)}`);
    case 'reconnecting':
      return c.dim(`… connection lost (${safeText(e.reason)}); reconnecting in ${Math.max(1, Math.round(e.delayMs / 1000))} s (attempt ${e.attempt})`);
    case 'reconnected':
      return c.dim(`reconnected to server ${short(e.serverId)} at ${safeText(e.url)} (key matches the one pinned for it, ${groupedFingerprint(e.serverFingerprint.slice(0, 16))}…)`);
  }
}
