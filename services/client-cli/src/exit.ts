/**
 * How `socp` ends: stdin (the one handle every path leaves open: a pipe from a script, or a
 * TTY) is released and the loop drains (endProcess in @socp/node says why not
 * process.exit()). A forced exit prints FORCED_EXIT_MARK and what held the loop; the e2e
 * harness fails a run that prints it.
 */
import { endProcess } from '@socp/node';

export const FORCED_EXIT_MARK = 'socp: exit forced';

export function endCli(code: number): void {
  if (process.stdin.isTTY) process.stdin.setRawMode(false);
  process.stdin.destroy();
  endProcess(code, { onForced: (open) => process.stderr.write(`${FORCED_EXIT_MARK}; still open: ${open.join(', ')}\n`) });
}
