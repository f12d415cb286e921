// One jest project per test lane (S13), fastest first. Run one lane: `npx jest --selectProjects unit`.
const swc = ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2023' }, module: { type: 'commonjs' } }];
const common = {
  transform: { '^.+\\.ts$': swc },
  moduleNameMapper: { '^@socp/protocol$': '<rootDir>/libs/socp/src/index.ts', '^@socp/node$': '<rootDir>/libs/socp-node/src/index.ts' },
  testEnvironment: 'node',
};
/** @type {import('jest').Config} */
module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/libs/socp/test/**/*.test.ts', '<rootDir>/libs/socp-node/test/**/*.test.ts'] },
    { ...common, displayName: 'service', testMatch: ['<rootDir>/services/*/test/**/*.test.ts'] },
    { ...common, displayName: 'integration', testMatch: ['<rootDir>/tests/integration/**/*.test.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/tests/e2e/**/*.test.ts'] },
    { ...common, displayName: 'interop', testMatch: ['<rootDir>/tests/interop/**/*.test.ts'] },
    { ...common, displayName: 'containers', testMatch: ['<rootDir>/tests/containers/**/*.test.ts'] },
  ],
};
