/**
 * The user side as a pure core (S1), as routing/ is for servers: `handleIncoming(state, frame,
 * ctx) → { events, effects }` for what arrives (incoming.ts), drafts for what is sent
 * (outbound.ts, hello.ts; draft.ts signs them), decisions for the user's commands
 * (commands.ts) and the session's life (lifecycle.ts). No sockets, no files, no clock: time
 * and randomness come in as inputs.
 */
export * from './limits';
export * from './state';
export * from './events';
export * from './effects';
export * from './incoming';
export * from './lifecycle';
export * from './commands';
export * from './draft';
export * from './outbound';
export * from './hello';
export * from './roster';
export * from './message-parts';
export * from './incoming-files';
export * from './file-blocks';
export * from './file-acks';
export type { ChunkToOpen } from './file-frames';
export * from './file-names';
export * from './receipts';
export * from './dialect';
export * from './contact-pins';
export * from './shown-queued';
export { senderKey, type SenderKey } from './content';
