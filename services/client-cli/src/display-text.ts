/**
 * Text from peers is untrusted: before it reaches the terminal, control characters (C0, DEL,
 * C1 — which carry ANSI escape sequences), and bidi overrides (which can disguise text) are
 * replaced by visible stand-ins, so a message can never move the cursor, recolour the screen,
 * or forge a line that looks like the client's own output.
 */

// C0 except tab, DEL, C1, and the bidi embedding/override/isolate controls.
const UNSAFE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

export function safeText(s: string): string {
  return s.replace(UNSAFE, (c) => (c === '\n' ? ' \u21b5 ' : c === '\r' ? '' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
}

/** A short, safe label (names, ids) for one line of output. */
export function safeLabel(s: string, max = 64): string {
  const t = safeText(s);
  return t.length > max ? `${t.slice(0, max - 1)}\u2026` : t;
}
