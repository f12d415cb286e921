/**
 * Received file names are attacker-controlled (G43-WIRE.md §5.6: `../x` escaped the download
 * folder). `safeFileName` keeps only a harmless base name; where it is stored without
 * overwriting anything is the client's business (its downloads folder).
 */

const MAX_NAME_BYTES = 200;
// Control characters (C0, DEL, C1), bidi controls, and characters other systems reserve.
const STRIP = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
const RESERVED_CHARS = /[<>:"|?*]/g;
// Windows device names, with or without an extension.
const RESERVED_NAMES = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;

function truncateUtf8(s: string, maxBytes: number): string {
  let out = '';
  for (const ch of s) {
    if (Buffer.byteLength(out + ch, 'utf8') > maxBytes) break;
    out += ch;
  }
  return out;
}

/**
 * The base name to store a received file under: directories and drive letters stripped,
 * control characters and NULs removed, `.`/`..`/empty/reserved names replaced, leading dots
 * (hidden files) neutralised, length bounded with the extension kept. `fallback` (a safe name
 * derived from the file id, incoming-files.ts) is used when nothing usable is left.
 */
export function safeFileName(name: string, fallback: string): string {
  let base = name.replace(STRIP, '');
  base = base.slice(Math.max(base.lastIndexOf('/'), base.lastIndexOf('\\')) + 1);
  base = base.replace(RESERVED_CHARS, '_').trim().replace(/[. ]+$/, '');
  if (base === '' || /^\.+$/.test(base)) return fallback;
  if (base.startsWith('.')) base = `_${base.slice(1)}`;
  if (RESERVED_NAMES.test(base)) base = `_${base}`;
  if (Buffer.byteLength(base, 'utf8') > MAX_NAME_BYTES) {
    const dot = base.lastIndexOf('.');
    const ext = dot > 0 && base.length - dot <= 16 ? base.slice(dot) : '';
    base = truncateUtf8(base.slice(0, base.length - ext.length), MAX_NAME_BYTES - Buffer.byteLength(ext, 'utf8')) + ext;
  }
  return base;
}
