#!/usr/bin/env node
/**
 * Composition root of the introducer: config from the environment, the pino logger, start,
 * and a clean stop on SIGINT/SIGTERM. See docs/introducer.md.
 */
import pino from 'pino';
import { isSocpError } from '@socp/protocol';
import { endProcess } from '@socp/node';
import { startIntroducer } from './app';
import { loadConfig, type IntroducerConfig } from './config';

async function main(): Promise<void> {
  let cfg: IntroducerConfig;
  try {
    cfg = loadConfig(process.env);
  } catch (e) {
    process.stderr.write(`${isSocpError(e) ? e.message : String(e)}\n`);
    process.exit(1);
  }
  const log = pino({
    level: cfg.logLevel,
    base: { service: 'introducer' },
    redact: ['*.sig', '*.payload.ciphertext', '*.privateKey', '*.pubkey', 'keyPassphrase'],
  });
  const intro = await startIntroducer(cfg, log);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    const end = (code: number): void => endProcess(code, { onForced: (open) => log.warn({ open }, 'exit forced: the event loop did not drain') });
    intro.stop().then(() => end(0), () => end(1));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((e: unknown) => {
  process.stderr.write(`introducer failed to start: ${isSocpError(e) ? `${e.code}: ${e.message}` : String(e)}\n`);
  process.exit(1);
});
