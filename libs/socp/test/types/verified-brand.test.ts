/**
 * The parsed-vs-verified distinction is enforced by the compiler: verified-brand.fixture.ts
 * must compile cleanly WITH its @ts-expect-error lines (each one needed), and must fail with
 * TS2345 once they are removed (proving the check is not vacuous).
 */
import { join } from 'node:path';
import ts from 'typescript';

const FIXTURE = join(__dirname, 'verified-brand.fixture.ts');
const OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2023, module: ts.ModuleKind.Node16, moduleResolution: ts.ModuleResolutionKind.Node16,
  strict: true, noUncheckedIndexedAccess: true, noEmit: true, skipLibCheck: true, types: ['node'],
};

function diagnostics(stripExpectError: boolean, old?: ts.Program): { program: ts.Program; messages: string[]; codes: number[] } {
  const host = ts.createCompilerHost(OPTIONS);
  const original = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang, onError, create) => {
    if (stripExpectError && name === FIXTURE) {
      const text = ts.sys.readFile(name)!.replace(/\/\/ @ts-expect-error.*$/gm, '');
      return ts.createSourceFile(name, text, lang);
    }
    return original(name, lang, onError, create);
  };
  const program = ts.createProgram([FIXTURE], OPTIONS, host, old);
  const diags = ts.getPreEmitDiagnostics(program).filter((d) => d.file?.fileName === FIXTURE || d.file === undefined);
  return {
    program,
    codes: diags.map((d) => d.code),
    messages: diags.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')),
  };
}

let first: ts.Program;
test('the fixture compiles, and every @ts-expect-error in it is needed', () => {
  const r = diagnostics(false);
  first = r.program;
  expect(r.messages).toEqual([]);
});

test('without the directives, passing a Frame where Verified<Frame> is required is a compile error', () => {
  const r = diagnostics(true, first);
  expect(r.codes.length).toBe(4);
  expect(r.codes.filter((c) => c === 2345).length).toBeGreaterThanOrEqual(3);
  expect(r.messages.join('\n')).toMatch(/Verified/);
});
