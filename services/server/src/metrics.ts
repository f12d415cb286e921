/**
 * The server's Prometheus metrics (S12), registered on an injected per-process Registry.
 * Labels are bounded sets (frame type, reason code, role, op); never a user or server id.
 */
import { Counter, Gauge, Histogram, collectDefaultMetrics, type Registry } from 'prom-client';

export function createMetrics(registry: Registry) {
  collectDefaultMetrics({ register: registry });
  const r = [registry];
  return {
    registry,
    connections: new Gauge({ name: 'socp_connections', help: 'Open WebSocket connections by role', labelNames: ['role'] as const, registers: r }),
    framesReceived: new Counter({ name: 'socp_frames_received_total', help: 'Frames received, by type', labelNames: ['type'] as const, registers: r }),
    framesSent: new Counter({ name: 'socp_frames_sent_total', help: 'Frames sent, by type', labelNames: ['type'] as const, registers: r }),
    framesRejected: new Counter({ name: 'socp_frames_rejected_total', help: 'Frames refused, by type and reason code', labelNames: ['type', 'reason'] as const, registers: r }),
    peerLinksUp: new Gauge({ name: 'socp_peer_links_up', help: 'Outbound server links currently open', registers: r }),
    peerReconnects: new Counter({ name: 'socp_peer_reconnects_total', help: 'Outbound server link dial attempts after the first', registers: r }),
    peerDead: new Counter({ name: 'socp_peer_links_dead_total', help: 'Server links declared dead (silent past SOCP_DEAD_AFTER_MS)', registers: r }),
    usersOnline: new Gauge({ name: 'socp_users_online', help: 'Users online, local to this server or remote', labelNames: ['scope'] as const, registers: r }),
    cryptoSeconds: new Histogram({
      name: 'socp_crypto_duration_seconds', help: 'Duration of RSA operations', labelNames: ['op'] as const, registers: r,
      buckets: [0.0001, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.05, 0.1, 0.5],
    }),
    dmsUnconfirmed: new Gauge({ name: 'socp_dms_unconfirmed', help: "Local users' DMs handed to another server and not yet ACKed by it", registers: r }),
    queuedDelivered: new Counter({ name: 'socp_queued_delivered_total', help: 'Queued DMs sent to a user at log-in, by mode (ack: kept until the client ACKs; drain: deleted when sent)', labelNames: ['mode'] as const, registers: r }),
    queuedAcked: new Counter({ name: 'socp_queued_acked_total', help: 'Queued DMs the client acknowledged (removed from the queue)', registers: r }),
    queuedUnacked: new Counter({ name: 'socp_queued_unacked_total', help: 'Queued DMs sent but not acknowledged before the connection closed (kept for redelivery)', registers: r }),
    redisUp: new Gauge({ name: 'socp_redis_up', help: '1 when the last Redis command succeeded', registers: r }),
    slowConsumers: new Counter({ name: 'socp_slow_consumer_closes_total', help: 'Connections closed because their outbound buffer overflowed', registers: r }),
    connectionsRefused: new Counter({ name: 'socp_connections_refused_total', help: 'Connections closed 1013 at once by a cap (server_full, per_ip, pending_per_ip)', labelNames: ['reason'] as const, registers: r }),
    answersWithheld: new Counter({ name: 'socp_prehello_budget_closes_total', help: 'Connections closed 1008 for wanting more than MAX_ANSWERS_BEFORE_HELLO answers before identifying themselves', registers: r }),
    answerSigReuses: new Counter({ name: 'socp_answer_signature_reuses_total', help: 'Frames (generic ERRORs, HEARTBEATs) sent with a cached signature of the same payload instead of a new one, by type', labelNames: ['type'] as const, registers: r }),
    readPauses: new Counter({ name: 'socp_read_pauses_total', help: 'Connections whose reading was paused under a signing backlog, by role', labelNames: ['role'] as const, registers: r }),
    storageFull: new Gauge({ name: 'socp_storage_full', help: '1 while Redis is at its refuse-new-state bound (maxmemory) or refused a write with OOM', registers: r }),
    storageRefused: new Counter({ name: 'socp_storage_refused_total', help: 'Requests for new durable state refused while storage is full, by what', labelNames: ['what'] as const, registers: r }),
    redisWriteErrors: new Counter({ name: 'socp_redis_write_errors_total', help: 'Write-behind pipelines that failed, by reason (oom: Redis at maxmemory with noeviction; other)', labelNames: ['reason'] as const, registers: r }),
    loginFailures: new Counter({ name: 'socp_login_failures_total', help: 'Log-ins that failed (wrong password/name, or abandoned after LOGIN_CHALLENGE)', registers: r }),
    loginThrottled: new Counter({ name: 'socp_login_throttled_total', help: 'LOGIN_STARTs refused by back-off, by scope (source, name_source, inflight)', labelNames: ['scope'] as const, registers: r }),
    batchedDeliveriesSent: new Histogram({
      name: 'socp_deliver_batch_size', help: 'SERVER_DELIVERs per signed frame sent to servers that take SERVER_DELIVER_BATCH (1: sent alone)', registers: r,
      buckets: [1, 2, 4, 8, 16, 32, 64],
    }),
    batchedDeliveriesReceived: new Counter({ name: 'socp_batched_deliveries_received_total', help: 'SERVER_DELIVERs received as items of a SERVER_DELIVER_BATCH', registers: r }),
    introducerJoins: new Counter({ name: 'socp_introducer_joins_total', help: 'SERVER_WELCOME results by outcome', labelNames: ['outcome'] as const, registers: r }),
  };
}
export type ServerMetrics = ReturnType<typeof createMetrics>;
