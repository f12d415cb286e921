/** S6: the catalogue, docs/errors.md and SPEC §11 agree. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CATALOGUE, err, isSocpError, isWireErrorCode, ok, SocpError, WIRE_ERROR_CODES, type SocpErrorCode } from '@socp/protocol';

/** The six codes of SOCP v1.3 §11 (../shared/socp/SPEC.md), verbatim. */
const SPEC_WIRE_CODES = ['USER_NOT_FOUND', 'INVALID_SIG', 'BAD_KEY', 'TIMEOUT', 'UNKNOWN_TYPE', 'NAME_IN_USE'];

const doc = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'errors.md'), 'utf8');
const rows = new Map(
  [...doc.matchAll(/^\| `([A-Z_]+)` \| (?:`([A-Z_]+)`|—) \| (\d+|—) \| (.+) \|$/gm)].map((m) => [m[1]!, { wire: m[2], close: m[3] === '—' ? undefined : Number(m[3]), when: m[4]! }]),
);

test('every SPEC §11 wire code is in the catalogue, maps onto itself, and nothing else is a wire code', () => {
  expect([...WIRE_ERROR_CODES].sort()).toEqual([...SPEC_WIRE_CODES].sort());
  for (const c of SPEC_WIRE_CODES) expect(ERROR_CATALOGUE[c as SocpErrorCode].wire).toBe(c);
  for (const e of Object.values(ERROR_CATALOGUE)) if (e.wire !== undefined) expect(SPEC_WIRE_CODES).toContain(e.wire);
  for (const c of Object.keys(ERROR_CATALOGUE)) if (!SPEC_WIRE_CODES.includes(c)) expect(c).toMatch(/^SOCP_ERR_[A-Z_]+$/);
});

test('docs/errors.md documents every catalogue code with the same wire and close code, and no other code', () => {
  expect([...rows.keys()].sort()).toEqual(Object.keys(ERROR_CATALOGUE).sort());
  for (const [c, e] of Object.entries(ERROR_CATALOGUE)) {
    expect([c, rows.get(c)?.wire, rows.get(c)?.close]).toEqual([c, e.wire, e.closeCode]);
    expect(rows.get(c)!.when.length).toBeGreaterThan(10);
  }
});

describe('SocpError', () => {
  test('carries code, wire code and close code from the catalogue', () => {
    const e = new SocpError('SOCP_ERR_FRAME_TOO_LARGE', 'too big');
    expect([e.code, e.wire, e.closeCode, e.message, e.name]).toEqual(['SOCP_ERR_FRAME_TOO_LARGE', 'UNKNOWN_TYPE', 1009, 'too big', 'SocpError']);
    expect(e).toBeInstanceOf(Error);
    expect(isSocpError(e)).toBe(true);
    expect(isSocpError(new Error('x'))).toBe(false);
    expect(isSocpError({ code: 'BAD_KEY' })).toBe(false);
    expect(isSocpError(null)).toBe(false);
  });
  test('fromErrorPayload keeps wire codes and turns unknown peer codes into a generic error, never throwing', () => {
    expect(SocpError.fromErrorPayload({ code: 'NAME_IN_USE', detail: 'taken' }).code).toBe('NAME_IN_USE');
    const g = SocpError.fromErrorPayload({ code: 'BAD_PASSWORD' });
    expect([g.code, g.message]).toEqual(['UNKNOWN_TYPE', 'BAD_PASSWORD']);
    expect(SocpError.fromErrorPayload({ code: 'SOCP_ERR_INTERNAL' }).code).toBe('UNKNOWN_TYPE'); // internal codes are not accepted from peers
  });
  test('isWireErrorCode, ok and err', () => {
    expect(isWireErrorCode('TIMEOUT')).toBe(true);
    expect(isWireErrorCode('SOCP_ERR_SCHEMA')).toBe(false);
    expect(ok(3)).toEqual({ ok: true, value: 3 });
    const r = err('BAD_KEY', 'weak');
    expect(r.ok ? 'ok' : r.error.code).toBe('BAD_KEY');
  });
});
