/**
 * The introducer's Prometheus metrics, on its own registry (never prom-client's global one),
 * plus default process metrics. Labels are bounded: frame types of the catalogue, error codes
 * of the catalogue, fixed results — never a server or user id.
 */
import { Counter, Gauge, Registry as PromRegistry, collectDefaultMetrics } from 'prom-client';

export interface IntroducerMetrics {
  readonly registry: PromRegistry;
  readonly connections: Gauge;
  readonly serversRegistered: Gauge;
  readonly serversConnected: Gauge;
  readonly joins: Counter<'result'>;
  readonly framesReceived: Counter<'type'>;
  readonly framesSent: Counter<'type'>;
  readonly framesRejected: Counter<'reason'>;
  readonly prunes: Counter<'reason'>;
  readonly registryWriteOk: Gauge;
}

export function createMetrics(sample: () => { registered: number; connected: number; writeOk: boolean }): IntroducerMetrics {
  const registry = new PromRegistry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    connections: new Gauge({ name: 'socp_introducer_connections', help: 'Open WebSocket connections', registers }),
    serversRegistered: new Gauge({
      name: 'socp_introducer_servers_registered', help: 'Servers in the registry', registers,
      collect() { this.set(sample().registered); },
    }),
    serversConnected: new Gauge({
      name: 'socp_introducer_servers_connected', help: 'Registered servers with an open socket', registers,
      collect() { this.set(sample().connected); },
    }),
    joins: new Counter({ name: 'socp_introducer_joins_total', help: 'SERVER_HELLO_JOIN handled, by result', labelNames: ['result'], registers }),
    framesReceived: new Counter({ name: 'socp_introducer_frames_received_total', help: 'Decoded inbound frames by type', labelNames: ['type'], registers }),
    framesSent: new Counter({ name: 'socp_introducer_frames_sent_total', help: 'Frames sent by type', labelNames: ['type'], registers }),
    framesRejected: new Counter({ name: 'socp_introducer_frames_rejected_total', help: 'Inbound frames rejected, by error code', labelNames: ['reason'], registers }),
    prunes: new Counter({ name: 'socp_introducer_prunes_total', help: 'Servers removed from the registry, by reason', labelNames: ['reason'], registers }),
    registryWriteOk: new Gauge({
      name: 'socp_introducer_registry_write_ok', help: '1 when the last registry write succeeded', registers,
      collect() { this.set(sample().writeOk ? 1 : 0); },
    }),
  };
}
