/**
 * Transfer progress as bar lines (cli-progress's bar formatter), kept as plain state so the
 * terminal UI can draw them in a status area between the output and the prompt — the bars
 * never fight readline for the cursor. Updates are throttled by the caller.
 */
import { Format, Presets, type Options } from 'cli-progress';
import type { ClientEvent } from './events';
import { humanBytes } from './format';
import { safeLabel } from './display-text';

const BAR_CHARS = 30;
const BAR: Options = {
  barsize: BAR_CHARS,
  barCompleteString: (Presets.shades_classic.barCompleteChar ?? '#').repeat(BAR_CHARS),
  barIncompleteString: (Presets.shades_classic.barIncompleteChar ?? '-').repeat(BAR_CHARS),
  barGlue: '',
} as Options;

interface Row { label: string; value: number; total: number }

export class ProgressLines {
  private readonly rows = new Map<string, Row>();

  /** Apply a transfer event; true when the lines changed. */
  apply(e: ClientEvent): boolean {
    switch (e.event) {
      case 'file-offered':
        this.rows.set(`in:${e.transfer.key}`, { label: `← ${safeLabel(e.transfer.name, 24)}`, value: 0, total: e.transfer.size });
        return true;
      case 'file-data': {
        const r = this.rows.get(`in:${e.transfer.key}`);
        if (r) r.value = e.transfer.received;
        return r !== undefined;
      }
      case 'file-received':
      case 'file-failed':
        return this.rows.delete(`in:${e.transfer.key}`);
      case 'file-send-progress': {
        const id = `out:${e.fileId}`;
        const r = this.rows.get(id) ?? { label: `→ ${safeLabel(e.to, 24)}`, value: 0, total: e.size };
        r.value = e.sent;
        this.rows.set(id, r);
        return true;
      }
      case 'file-sent':
      case 'file-send-aborted':
        return this.rows.delete(`out:${e.fileId}`);
      default:
        return false;
    }
  }

  lines(): string[] {
    return [...this.rows.values()].map((r) => {
      const p = r.total > 0 ? Math.min(1, r.value / r.total) : 1;
      return ` ${r.label} [${Format.BarFormat(p, BAR)}] ${String(Math.round(p * 100)).padStart(3)}% ${humanBytes(r.value)} / ${humanBytes(r.total)}`;
    });
  }

  get size(): number {
    return this.rows.size;
  }
}
