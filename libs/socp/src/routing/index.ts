/** The pure routing core (S1): `(state, verifiedFrame, ctx) → { effects }`. */
export * from './state';
export * from './effects';
export * from './limits';
export * from './deliver';
export * from './delivery-acks';
export * from './queue-acks';
export * from './presence';
export * from './presence-gossip';
export * from './user-keys';
export * from './hello-proof';
export * from './public-channel';
export * from './user-session';
export * from './user-frames';
export * from './admission';
export * from './server-trust';
export * from './server-frames';
