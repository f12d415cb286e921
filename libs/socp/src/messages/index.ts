/**
 * The frame union (S3): every SOCP v1.3 message type, plus the profile's LIST_REQUEST /
 * LIST_RESPONSE, as a discriminated union on `type`, with one validator per type.
 */
import { ackPayload, ctrlClosePayload, errorPayload, type AckPayload, type CtrlClosePayload, type ErrorPayload } from './control';
import {
  msgDirectPayload, msgPublicChannelPayload, publicChannelAddPayload, publicChannelKeySharePayload, publicChannelUpdatedPayload, userDeliverPayload,
  type MsgDirectPayload, type MsgPublicChannelPayload, type PublicChannelAddPayload, type PublicChannelKeySharePayload, type PublicChannelUpdatedPayload, type UserDeliverPayload,
} from './chat';
import { serverDeliverBatchPayload, serverDeliverPayload, type ServerDeliverBatchPayload, type ServerDeliverPayload } from './deliver';
import { fileChunkPayload, fileEndPayload, fileStartPayload, type FileChunkPayload, type FileEndPayload, type FileStartPayload } from './file';
import {
  heartbeatPayload, serverAddrPayload, serverAnnouncePayload, serverWelcomePayload, userAdvertisePayload, userRemovePayload,
  type HeartbeatPayload, type ServerAddrPayload, type ServerAnnouncePayload, type ServerWelcomePayload, type UserAdvertisePayload, type UserRemovePayload,
} from './server';
import { listRequestPayload, listResponsePayload, userHelloPayload, type ListRequestPayload, type ListResponsePayload, type UserHelloPayload } from './user';
import type { Check } from './schema';
import {
  accountRegisterFinishPayload, accountRegisterResponsePayload, accountRegisterStartPayload, loginChallengePayload, loginFinishPayload, loginResultPayload, loginStartPayload,
  type AccountRegisterFinishPayload, type AccountRegisterResponsePayload, type AccountRegisterStartPayload, type LoginChallengePayload, type LoginFinishPayload,
  type LoginResultPayload, type LoginStartPayload,
} from './account';

/** Payload type of each frame type. */
export interface PayloadMap {
  SERVER_HELLO_JOIN: ServerAddrPayload;
  SERVER_WELCOME: ServerWelcomePayload;
  SERVER_HELLO_LINK: ServerAddrPayload;
  SERVER_ANNOUNCE: ServerAnnouncePayload;
  USER_ADVERTISE: UserAdvertisePayload;
  USER_REMOVE: UserRemovePayload;
  SERVER_DELIVER: ServerDeliverPayload;
  SERVER_DELIVER_BATCH: ServerDeliverBatchPayload;
  HEARTBEAT: HeartbeatPayload;
  USER_HELLO: UserHelloPayload;
  MSG_DIRECT: MsgDirectPayload;
  USER_DELIVER: UserDeliverPayload;
  MSG_PUBLIC_CHANNEL: MsgPublicChannelPayload;
  PUBLIC_CHANNEL_ADD: PublicChannelAddPayload;
  PUBLIC_CHANNEL_UPDATED: PublicChannelUpdatedPayload;
  PUBLIC_CHANNEL_KEY_SHARE: PublicChannelKeySharePayload;
  FILE_START: FileStartPayload;
  FILE_CHUNK: FileChunkPayload;
  FILE_END: FileEndPayload;
  ACK: AckPayload;
  ERROR: ErrorPayload;
  CTRL_CLOSE: CtrlClosePayload;
  LIST_REQUEST: ListRequestPayload;
  LIST_RESPONSE: ListResponsePayload;
  ACCOUNT_REGISTER_START: AccountRegisterStartPayload;
  ACCOUNT_REGISTER_RESPONSE: AccountRegisterResponsePayload;
  ACCOUNT_REGISTER_FINISH: AccountRegisterFinishPayload;
  LOGIN_START: LoginStartPayload;
  LOGIN_CHALLENGE: LoginChallengePayload;
  LOGIN_FINISH: LoginFinishPayload;
  LOGIN_RESULT: LoginResultPayload;
}
export type FrameType = keyof PayloadMap;

/** One validator per type: the schema table. */
export const payloadSchemas: { [K in FrameType]: Check<PayloadMap[K]> } = {
  SERVER_HELLO_JOIN: serverAddrPayload,
  SERVER_WELCOME: serverWelcomePayload,
  SERVER_HELLO_LINK: serverAddrPayload,
  SERVER_ANNOUNCE: serverAnnouncePayload,
  USER_ADVERTISE: userAdvertisePayload,
  USER_REMOVE: userRemovePayload,
  SERVER_DELIVER: serverDeliverPayload,
  SERVER_DELIVER_BATCH: serverDeliverBatchPayload,
  HEARTBEAT: heartbeatPayload,
  USER_HELLO: userHelloPayload,
  MSG_DIRECT: msgDirectPayload,
  USER_DELIVER: userDeliverPayload,
  MSG_PUBLIC_CHANNEL: msgPublicChannelPayload,
  PUBLIC_CHANNEL_ADD: publicChannelAddPayload,
  PUBLIC_CHANNEL_UPDATED: publicChannelUpdatedPayload,
  PUBLIC_CHANNEL_KEY_SHARE: publicChannelKeySharePayload,
  FILE_START: fileStartPayload,
  FILE_CHUNK: fileChunkPayload,
  FILE_END: fileEndPayload,
  ACK: ackPayload,
  ERROR: errorPayload,
  CTRL_CLOSE: ctrlClosePayload,
  LIST_REQUEST: listRequestPayload,
  LIST_RESPONSE: listResponsePayload,
  ACCOUNT_REGISTER_START: accountRegisterStartPayload,
  ACCOUNT_REGISTER_RESPONSE: accountRegisterResponsePayload,
  ACCOUNT_REGISTER_FINISH: accountRegisterFinishPayload,
  LOGIN_START: loginStartPayload,
  LOGIN_CHALLENGE: loginChallengePayload,
  LOGIN_FINISH: loginFinishPayload,
  LOGIN_RESULT: loginResultPayload,
};

export const FRAME_TYPES = Object.keys(payloadSchemas) as FrameType[];
export const FrameType = Object.fromEntries(FRAME_TYPES.map((t) => [t, t])) as { readonly [K in FrameType]: K };

export function isFrameType(t: string): t is FrameType {
  return Object.prototype.hasOwnProperty.call(payloadSchemas, t);
}

/** The envelope (§7). `sig` is "" when absent on the wire. */
export interface Envelope<T extends FrameType = FrameType> {
  type: T;
  from: string;
  to: string;
  ts: number;
  payload: PayloadMap[T];
  sig: string;
}

/** A parsed, schema-valid frame whose signature has NOT been checked. */
export type Frame = { [K in FrameType]: Envelope<K> }[FrameType];
export type FrameOf<T extends FrameType> = Extract<Frame, { type: T }>;

/** Frame types only servers emit toward servers (the link protocol). */
export const SERVER_LINK_TYPES: ReadonlySet<FrameType> = new Set<FrameType>([
  'SERVER_HELLO_LINK', 'SERVER_ANNOUNCE', 'USER_ADVERTISE', 'USER_REMOVE', 'SERVER_DELIVER', 'SERVER_DELIVER_BATCH', 'HEARTBEAT',
  'PUBLIC_CHANNEL_ADD', 'PUBLIC_CHANNEL_UPDATED', 'PUBLIC_CHANNEL_KEY_SHARE', 'MSG_PUBLIC_CHANNEL', 'ACK', 'ERROR', 'CTRL_CLOSE',
]);
/** Frame types a user may send to its server after USER_HELLO. */
export const USER_TO_SERVER_TYPES: ReadonlySet<FrameType> = new Set<FrameType>([
  'MSG_DIRECT', 'MSG_PUBLIC_CHANNEL', 'FILE_START', 'FILE_CHUNK', 'FILE_END', 'LIST_REQUEST', 'PUBLIC_CHANNEL_KEY_SHARE', 'ACK', 'ERROR', 'CTRL_CLOSE',
]);

export function assertNever(x: never): never {
  throw new Error(`unreachable: ${JSON.stringify(x)}`);
}

export * from './account';
export * from './control';
export * from './chat';
export * from './deliver';
export * from './file';
export * from './server';
export * from './user';
export { SchemaError, UUID_RE, UUID_ANYCASE_RE, type Check } from './schema';
