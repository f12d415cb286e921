/**
 * SERVER_DELIVER (SPEC.md §9.3): the sender's server → the recipient's server, one hop.
 * Payload = `user_id` (recipient) + the inner frame's payload, with `inner_type` naming the
 * inner frame (G43's form; absent means MSG_DIRECT). Our DM form also carries `orig_ts`.
 */
import { fileChunkPayload, fileEndPayload, fileStartPayload, type FileChunkPayload, type FileEndPayload, type FileStartPayload } from './file';
import { msgPublicChannelPayload, userDeliverPayload, type UserDeliverPayload } from './chat';
import { array, id, int, literal, obj, SchemaError, type Check } from './schema';
import { MAX_DELIVER_BATCH } from '../constants';

export const DELIVERABLE_INNER_TYPES = ['MSG_DIRECT', 'MSG_PUBLIC_CHANNEL', 'FILE_START', 'FILE_CHUNK', 'FILE_END'] as const;
export type InnerType = (typeof DELIVERABLE_INNER_TYPES)[number];

export type ServerDeliverPayload =
  | ({ user_id: string; inner_type?: 'MSG_DIRECT' | 'MSG_PUBLIC_CHANNEL' } & UserDeliverPayload)
  | ({ user_id: string; inner_type: 'FILE_START' } & FileStartPayload)
  | ({ user_id: string; inner_type: 'FILE_CHUNK' } & FileChunkPayload)
  | ({ user_id: string; inner_type: 'FILE_END' } & FileEndPayload);

const head = obj({ user_id: id }, { inner_type: literal(...DELIVERABLE_INNER_TYPES) });

export const serverDeliverPayload: Check<ServerDeliverPayload> = (v, p) => {
  const h = head(v, p);
  switch (h.inner_type) {
    case undefined:
    case 'MSG_DIRECT':
      userDeliverPayload(v, p);
      break;
    case 'MSG_PUBLIC_CHANNEL':
      msgPublicChannelPayload(v, p);
      userDeliverPayload(v, p);
      break;
    case 'FILE_START': fileStartPayload(v, p); break;
    case 'FILE_CHUNK': fileChunkPayload(v, p); break;
    case 'FILE_END': fileEndPayload(v, p); break;
    default: throw new SchemaError(`${p}.inner_type`, 'unsupported');
  }
  return v as ServerDeliverPayload;
};

export function innerTypeOf(p: ServerDeliverPayload): InnerType {
  return p.inner_type ?? 'MSG_DIRECT';
}

/**
 * SERVER_DELIVER_BATCH (our extension, docs/contracts.md "Delivery batches"): several
 * SERVER_DELIVERs from one server to one server under one signature. Each item is the
 * SERVER_DELIVER it stands for, less what the batch's envelope already says: its `type` is
 * SERVER_DELIVER, its `from` and `to` the batch's, and the batch's signature covers it. Sent
 * only to servers whose hello or ticket lists the capability "deliver-batch".
 */
export interface DeliverBatchItem { ts: number; payload: ServerDeliverPayload }
export interface ServerDeliverBatchPayload { deliveries: DeliverBatchItem[] }
export const serverDeliverBatchPayload: Check<ServerDeliverBatchPayload> = obj({
  deliveries: array(obj({ ts: int(0), payload: serverDeliverPayload }), MAX_DELIVER_BATCH),
}) as Check<ServerDeliverBatchPayload>;
