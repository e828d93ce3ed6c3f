/**
 * The checks behind `npm run lint`'s architecture step, as functions over a
 * repository root so tests can run them on a deliberately broken tree. Each
 * returns the problems it found, one line each; an empty list means the rule holds.
 * The rules are the ones in the README's "Code rules" section.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/**
 * Domain code: folders whose every .ts file is domain code, and single domain
 * files that live beside their adapters. A listed path that does not exist is
 * an error, so the purity check can never silently run on nothing.
 */
export const DOMAIN_PATHS = [
  'libs/hashring/src',
  'libs/model/src',
  'libs/promql/src/domain',
  'libs/ring-status/src/ring-render.ts',
  'libs/ring-status/src/ring-status.ts',
  'services/alerter/src/domain',
  'services/gateway/src/domain',
  'services/ingest/src/raw-batch-router.ts',
  'services/ingest/src/series-router.ts',
  'services/ingest/src/shard-record-builder.ts',
  'services/ingest/src/shard-record-encoder.ts',
  'services/shard/src/flush-payload.ts',
  'services/shard/src/unconfirmed-batches.ts',
  'services/shard/src/window-aggregator.ts',
] as const;

const FORBIDDEN_IN_DOMAIN = [/^kafkajs$/, /^ioredis$/, /^pino$/, /^prom-client$/, /^(node:)?process$/, /^@ringtail\/runtime$/];
const IMPURE_GLOBALS = /\bprocess\.(env|exit|argv)|\bDate\.now\(\)|\bMath\.random\(\)/;
/** `import … from 'x'`, `export … from 'x'`, `import 'x'` and `import('x')`, type-only ones included. */
const IMPORT_SPEC = /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

/** Every .ts file under `dir`, node_modules excluded; `[]` only for an empty folder. */
export function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules') return [];
    if (statSync(path).isDirectory()) return tsFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

/** The module specifiers a source file imports or re-exports. */
export function importSpecifiers(source: string): string[] {
  return [...source.matchAll(IMPORT_SPEC)].map((m) => m[1] ?? m[2] ?? m[3] ?? '');
}

/** Domain files import no I/O library and read neither process, the clock nor randomness. */
export function checkDomainPurity(root: string, domainPaths: readonly string[] = DOMAIN_PATHS): string[] {
  const problems: string[] = [];
  for (const path of domainPaths) {
    const full = join(root, path);
    if (!existsSync(full)) {
      problems.push(`${path}: listed as domain code but does not exist; fix the list in scripts/architecture-checks.ts`);
      continue;
    }
    const files = statSync(full).isDirectory() ? tsFiles(full) : [full];
    if (files.length === 0) problems.push(`${path}: listed as domain code but holds no .ts file`);
    for (const file of files) {
      const source = readFileSync(file, 'utf8');
      for (const spec of importSpecifiers(source)) {
        if (FORBIDDEN_IN_DOMAIN.some((re) => re.test(spec))) problems.push(`${relative(root, file)}: domain code imports '${spec}'`);
      }
      if (IMPURE_GLOBALS.test(source)) problems.push(`${relative(root, file)}: domain code reads process, the clock or randomness; pass them in`);
    }
  }
  return problems;
}

function workspaceNames(root: string, folder: string): Map<string, string> {
  const names = new Map<string, string>();
  const dir = join(root, folder);
  if (!existsSync(dir)) return names;
  for (const entry of readdirSync(dir)) {
    const manifest = join(dir, entry, 'package.json');
    if (existsSync(manifest)) names.set((JSON.parse(readFileSync(manifest, 'utf8')) as { name: string }).name, `${folder}/${entry}`);
  }
  return names;
}

/**
 * Libraries sit below services: no file under `libs/` imports a service, by its
 * package name or by a relative path, and no library's package.json depends on one.
 */
export function checkLibrariesImportNoService(root: string): string[] {
  const services = workspaceNames(root, 'services');
  const servicesDir = join(root, 'services') + sep;
  const problems: string[] = [];
  for (const [libName, libDir] of workspaceNames(root, 'libs')) {
    const manifest = JSON.parse(readFileSync(join(root, libDir, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
    for (const dep of Object.keys({ ...manifest.dependencies, ...manifest.devDependencies })) {
      if (services.has(dep)) problems.push(`${libDir}/package.json: library ${libName} depends on the service ${dep}`);
    }
    for (const file of tsFiles(join(root, libDir))) {
      for (const spec of importSpecifiers(readFileSync(file, 'utf8'))) {
        const service = services.get(spec.split('/').slice(0, 2).join('/'));
        const intoServices = spec.startsWith('.') && resolve(dirname(file), spec).startsWith(servicesDir);
        if (service !== undefined || intoServices) problems.push(`${relative(root, file)}: a library imports the service '${spec}'`);
      }
    }
  }
  return problems;
}

const DPDM = new URL('../node_modules/.bin/dpdm', import.meta.url).pathname;

/** Import cycles among `entries` (paths relative to root), type-only imports included. */
export function checkCycles(root: string, entries: readonly string[]): string[] {
  // No -T: dpdm's --transform drops type-only imports, and a cycle through a type is still a cycle.
  const dpdm = spawnSync(DPDM, ['--no-warning', '--no-tree', '--no-progress', '--exit-code', 'circular:1', ...entries], {
    cwd: root,
    encoding: 'utf8',
  });
  if (dpdm.status === 0) return [];
  if (dpdm.status === 1) return [`circular imports:\n${dpdm.stdout}`];
  return [`the cycle check could not run (dpdm exit ${String(dpdm.status)}): ${dpdm.error?.message ?? dpdm.stderr}`];
}
