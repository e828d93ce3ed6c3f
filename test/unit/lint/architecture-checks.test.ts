import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkCycles, checkDomainPurity, checkLibrariesImportNoService, tsFiles } from '../../../scripts/architecture-checks.ts';

const REPO_ROOT = new URL('../../..', import.meta.url).pathname;

let root: string;
function write(path: string, text: string): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), text);
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'ringtail-lint-'));
  write('libs/model/package.json', JSON.stringify({ name: '@ringtail/model' }));
  write('libs/model/src/pure.ts', "import { z } from 'zod';\nexport const x = z.string();\n");
  write('services/alerter/package.json', JSON.stringify({ name: '@ringtail/alerter' }));
  write('services/alerter/src/index.ts', 'export const y = 1;\n');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('domain purity check', () => {
  it('passes pure domain code', () => {
    expect(checkDomainPurity(root, ['libs/model/src'])).toEqual([]);
  });

  it('fails on a domain file importing ioredis, even type-only', () => {
    write('libs/model/src/bad.ts', "import type { Redis } from 'ioredis';\nexport type R = Redis;\n");
    expect(checkDomainPurity(root, ['libs/model/src'])).toEqual(["libs/model/src/bad.ts: domain code imports 'ioredis'"]);
  });

  it('fails on a listed domain folder or file that does not exist', () => {
    const problems = checkDomainPurity(root, ['services/shard/src/domain', 'services/shard/src/gone.ts']);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^services\/shard\/src\/domain: listed as domain code but does not exist/);
    expect(problems[1]).toMatch(/^services\/shard\/src\/gone\.ts: listed as domain code but does not exist/);
  });

  it('fails on domain code reading the clock', () => {
    write('libs/model/src/clock.ts', 'export const now = () => Date.now();\n');
    expect(checkDomainPurity(root, ['libs/model/src/clock.ts'])).toEqual([
      'libs/model/src/clock.ts: domain code reads process, the clock or randomness; pass them in',
    ]);
  });

  it('finds every listed domain path of this repository', () => {
    expect(checkDomainPurity(REPO_ROOT)).toEqual([]);
  });
});

describe('libraries-below-services check', () => {
  it('fails on a library importing a service by package name or by path, and on a manifest dependency', () => {
    write('libs/cli/package.json', JSON.stringify({ name: '@ringtail/cli', dependencies: { '@ringtail/alerter': '0.1.0' } }));
    write('libs/cli/src/a.ts', "import { y } from '@ringtail/alerter';\nexport const a = y;\n");
    write('libs/cli/src/b.ts', "export type { Y } from '../../../services/alerter/src/index.ts';\n");
    expect(checkLibrariesImportNoService(root).sort()).toEqual([
      "libs/cli/package.json: library @ringtail/cli depends on the service @ringtail/alerter",
      "libs/cli/src/a.ts: a library imports the service '@ringtail/alerter'",
      "libs/cli/src/b.ts: a library imports the service '../../../services/alerter/src/index.ts'",
    ]);
  });

  it('passes a library importing only libraries', () => {
    write('libs/cli/package.json', JSON.stringify({ name: '@ringtail/cli' }));
    write('libs/cli/src/a.ts', "import { x } from '@ringtail/model';\nexport const a = x;\n");
    expect(checkLibrariesImportNoService(root)).toEqual([]);
  });
});

describe('cycle check', () => {
  it('fails on a cycle made only of type imports', () => {
    write('libs/cli/src/main.ts', "import type { Command } from './cmd.ts';\nexport interface Main { c: Command }\n");
    write('libs/cli/src/cmd.ts', "import type { Main } from './main.ts';\nexport interface Command { m: Main }\n");
    const problems = checkCycles(root, ['libs/cli/src/main.ts', 'libs/cli/src/cmd.ts']);
    expect(problems).toHaveLength(1);
    // A cycle has no first file: the checker may report it from either end.
    expect(problems[0]).toMatch(/libs\/cli\/src\/main\.ts -> libs\/cli\/src\/cmd\.ts|libs\/cli\/src\/cmd\.ts -> libs\/cli\/src\/main\.ts/);
  });

  it('passes files without a cycle', () => {
    write('libs/cli/src/main.ts', "import type { Command } from './cmd.ts';\nexport interface Main { c: Command }\n");
    write('libs/cli/src/cmd.ts', 'export interface Command { n: number }\n');
    expect(checkCycles(root, ['libs/cli/src/main.ts', 'libs/cli/src/cmd.ts'])).toEqual([]);
  });
});

describe('tsFiles', () => {
  it('throws for a missing folder instead of returning nothing', () => {
    expect(() => tsFiles(join(root, 'nope'))).toThrow(/ENOENT/);
  });
});
