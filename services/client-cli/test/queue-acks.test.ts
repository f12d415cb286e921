/**
 * The CLI's batching of queue ACKs (queue-acks.ts; real RSA-4096): the refs the user core says to
 * acknowledge go out in signed ACKs of at most MAX_ACK_REFS, in the hop-ACK form; refs of a lost
 * connection are dropped. (Which refs: libs/socp/test/user/queue-acks.test.ts.)
 */
import { MAX_ACK_REFS, generateKeyPair, queueAckDraft, sealDraftAsync, verifyFrame, type Frame, type RsaPrivateKey } from '@socp/protocol';
import { QueueAcks } from '../src/queue-acks';

const S1 = '11111111-1111-4111-8111-111111111111';
let bob: { userId: string; key: RsaPrivateKey };

beforeAll(async () => {
  bob = { userId: '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a', key: await generateKeyPair() };
}, 120_000);

test('refs gather into signed ACKs in the hop-ACK form, at most MAX_ACK_REFS each', async () => {
  const sent: Frame[] = [];
  const acks = new QueueAcks(async (refs) => void sent.push(await sealDraftAsync(queueAckDraft(bob, S1, refs, Date.now()), bob.key)), (e) => {
    throw e;
  });
  const refs = Array.from({ length: MAX_ACK_REFS + 3 }, (_, i) => `q${i}`);
  acks.add(refs.slice(0, 2));
  acks.add(refs.slice(2));
  await acks.flush();
  expect(sent.map((f) => (f.payload as { msg_refs: string[] }).msg_refs)).toEqual([refs.slice(0, MAX_ACK_REFS), refs.slice(MAX_ACK_REFS)]);
  expect(sent[0]).toMatchObject({ type: 'ACK', from: bob.userId, to: S1, payload: { msg_ref: 'q0' } });
  expect(sent.every((f) => verifyFrame(f, bob.key.publicKey).ok)).toBe(true);
  acks.add([]);
  await acks.flush();
  expect(sent).toHaveLength(2);
});

test('after a lost connection, refs of the old one are dropped (reset) and only the new connection\'s are acknowledged', async () => {
  const sent: string[][] = [];
  const acks = new QueueAcks(async (refs) => void sent.push(refs), (e) => {
    throw e;
  });
  acks.add(['old-1', 'old-2']); // handed over on the connection that died, batch timer pending
  acks.reset();
  acks.add(['new-1']); // the server's new refs for the same DMs, on the new connection
  await acks.flush();
  expect(sent).toEqual([['new-1']]);
});
