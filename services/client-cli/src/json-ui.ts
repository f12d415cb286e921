/**
 * Non-interactive front end (`--json`): every event as one JSON object per line on stdout
 * (schema in docs/client.md); commands come from stdin lines. JSON.stringify escapes control
 * characters, so peer text cannot reach the terminal raw.
 */
import { isPrinted, type ClientEvent, type UserRef } from './events';
import type { LineReader } from './line-input';
import type { Ui } from './ui';

const user = (u: UserRef): Record<string, unknown> => ({ user_id: u.userId, name: u.name ?? null, server_id: u.serverId });

export function jsonOf(e: ClientEvent): Record<string, unknown> | undefined {
  if (!isPrinted(e)) return undefined;
  switch (e.event) {
    case 'ready':
      return { event: e.event, user_id: e.userId, name: e.name, server_id: e.serverId, server_fingerprint: e.serverFingerprint, pinned: e.pinned };
    case 'presence':
      return { event: e.event, action: e.action, ...user(e.user) };
    case 'message':
      return { event: e.event, kind: e.kind, from: e.from.userId, from_name: e.from.name ?? null, from_handle: e.from.handle ?? e.from.name ?? e.from.userId, server_id: e.from.serverId, text: e.text, ts: e.ts, ...(e.firstContact !== undefined ? { first_contact: true, fingerprint: e.firstContact } : {}) };
    case 'sent':
      return { event: e.event, kind: e.kind, to: e.to, parts: e.parts };
    case 'warning':
    case 'server-error':
      return { event: e.event, code: e.code, detail: e.detail };
    case 'info':
      return { event: e.event, text: e.text };
    case 'list':
      return { event: e.event, users: e.users.map((u) => ({ ...user(u), self: u.self })) };
    case 'whois':
      return { event: e.event, ...user(e.user), fingerprint: e.fingerprint, self: e.self };
    case 'file-offered':
      return { event: e.event, file_id: e.transfer.fileId, from: e.from.userId, name: e.transfer.name, offered_name: e.transfer.offeredName, size: e.transfer.size };
    case 'file-received':
      return { event: e.event, file_id: e.transfer.fileId, from: e.from.userId, name: e.transfer.name, path: e.path, size: e.transfer.size, sha256: e.transfer.sha256, sender_verified: e.transfer.unsignedChunks === 0 };
    case 'file-failed':
      return { event: e.event, file_id: e.transfer.fileId, from: e.transfer.sender, name: e.transfer.name, reason: e.reason, detail: e.detail };
    case 'file-sent':
      return { event: e.event, file_id: e.fileId, to: e.to, name: e.name, size: e.size, sha256: e.sha256 };
    case 'closed':
      return { event: e.event, reason: e.reason };
    case 'reconnecting':
      return { event: e.event, attempt: e.attempt, delay_ms: e.delayMs, reason: e.reason };
    case 'reconnected':
      return { event: e.event, attempt: e.attempt, server_id: e.serverId, server_fingerprint: e.serverFingerprint, url: e.url };
    case 'delivery':
      return { event: e.event, status: e.status, to: e.to, ts: e.ts, ...(e.code !== undefined ? { code: e.code } : {}) };
  }
}

export class JsonUi implements Ui {
  constructor(private readonly reader: LineReader) {}
  show(e: ClientEvent): void {
    const o = jsonOf(e);
    if (o) process.stdout.write(`${JSON.stringify(o)}\n`);
  }
  readCommands(onLine: (line: string) => Promise<void>, onEnd: () => void): void {
    this.reader.follow((l) => void onLine(l), onEnd);
  }
  close(): void {}
}
