/** The port between the session and whatever shows it (terminal or JSON lines). */
import type { ClientEvent } from './events';

export interface Ui {
  show(e: ClientEvent): void;
  /** Start reading commands; `onEnd` when input ends; `handles` feeds tab completion. */
  readCommands(onLine: (line: string) => Promise<void>, onEnd: () => void, handles: () => string[]): void;
  close(): void;
}
