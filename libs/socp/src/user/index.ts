/** The user side as a pure core (S1), as routing/ is for servers. */
export * from './limits';
export * from './roster';
export * from './message-parts';
export * from './incoming-files';
export * from './file-names';
export * from './receipts';
export * from './dialect';
export * from './hello';
export * from './draft';
export * from './outbound';
