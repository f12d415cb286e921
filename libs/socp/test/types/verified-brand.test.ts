/**
 * Compile-time guarantees, checked with the TypeScript compiler API:
 *  - the parsed-vs-verified distinction: verified-brand.fixture.ts compiles cleanly WITH its
 *    @ts-expect-error lines (each one needed) and fails with TS2345 once they are removed;
 * Options come from libs/socp/test/tsconfig.json (strict + noUncheckedIndexedAccess). Only the
 * fixture is a root file, to keep the lane fast; type-check the whole unit tree (jest runs it
 * through swc, which does not) with `npx tsc -p libs/socp/test`.
 */
import { join } from 'node:path';
import ts from 'typescript';

const FIXTURE = join(__dirname, 'verified-brand.fixture.ts');
const parsed = ts.getParsedCommandLineOfConfigFile(join(__dirname, '..', 'tsconfig.json'), {}, {
  ...ts.sys,
  onUnRecoverableConfigFileDiagnostic: (d) => {
    throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  },
})!;
const files = [FIXTURE];
const options: ts.CompilerOptions = { ...parsed.options, types: ['node'] }; // the fixture needs no jest types

function compile(stripExpectError: boolean, old?: ts.Program): { program: ts.Program; diags: readonly ts.Diagnostic[] } {
  const host = ts.createCompilerHost(options);
  const original = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang, onError, create) => {
    if (stripExpectError && join(name) === FIXTURE) {
      return ts.createSourceFile(name, ts.sys.readFile(name)!.replace(/\/\/ @ts-expect-error.*$/gm, ''), lang);
    }
    return original(name, lang, onError, create);
  };
  const program = ts.createProgram(files, options, host, old);
  return { program, diags: ts.getPreEmitDiagnostics(program) };
}
const show = (d: ts.Diagnostic): string =>
  `${d.file ? d.file.fileName.slice(d.file.fileName.indexOf('test')) : ''} TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;

let first: ts.Program;
test('the fixture type-checks, and every @ts-expect-error in it is needed', () => {
  const r = compile(false);
  first = r.program;
  expect(r.diags.map(show)).toEqual([]);
});

test('without the directives, passing a Frame where Verified<Frame> is required is a compile error', () => {
  const r = compile(true, first);
  const inFixture = r.diags.filter((d) => d.file && join(d.file.fileName) === FIXTURE);
  expect(inFixture).toHaveLength(r.diags.length);
  expect(inFixture).toHaveLength(4);
  expect(inFixture.filter((d) => d.code === 2345).length).toBeGreaterThanOrEqual(3);
  expect(inFixture.map(show).join('\n')).toMatch(/Verified/);
});
