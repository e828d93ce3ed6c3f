/**
 * Architecture lint: fails on circular imports anywhere in the sources, and on
 * I/O libraries (kafkajs, ioredis, pino, node:process) imported by domain code.
 * Domain code is pure so it can be tested with in-memory fakes and replayed
 * deterministically; see STYLE.md.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = new URL('..', import.meta.url).pathname;

/** Folders whose every .ts file is domain code. */
const DOMAIN_DIRS = ['libs/hashring/src', 'libs/model/src', 'services/ingest/src/domain', 'services/shard/src/domain', 'services/alerter/src/domain', 'services/gateway/src/domain'];
const FORBIDDEN_IN_DOMAIN = [/^kafkajs$/, /^ioredis$/, /^pino$/, /^(node:)?process$/, /^@ringtail\/runtime$/];
const SOURCE_DIRS = ['libs', 'services'];

function tsFiles(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules') return [];
    if (statSync(path).isDirectory()) return tsFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

const problems: string[] = [];

for (const dir of DOMAIN_DIRS) {
  for (const file of tsFiles(join(ROOT, dir))) {
    const source = readFileSync(file, 'utf8');
    for (const m of source.matchAll(/(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)) {
      const spec = m[1] ?? m[2] ?? '';
      if (FORBIDDEN_IN_DOMAIN.some((re) => re.test(spec))) {
        problems.push(`${relative(ROOT, file)}: domain code imports '${spec}'`);
      }
    }
    if (/\bprocess\.(env|exit|argv)|\bDate\.now\(\)|\bMath\.random\(\)/.test(source)) {
      problems.push(`${relative(ROOT, file)}: domain code reads process, the clock or randomness; pass them in`);
    }
  }
}

const entries = SOURCE_DIRS.flatMap((d) => tsFiles(join(ROOT, d))).map((f) => relative(ROOT, f));
const dpdm = spawnSync('npx', ['dpdm', '--no-warning', '--no-tree', '--no-progress', '-T', '--exit-code', 'circular:1', ...entries], {
  cwd: ROOT,
  encoding: 'utf8',
});
if (dpdm.status !== 0) problems.push(`circular imports:\n${dpdm.stdout}${dpdm.stderr}`);

if (problems.length > 0) {
  process.stderr.write(`architecture lint failed:\n${problems.map((p) => `  ${p}`).join('\n')}\n`);
  process.exit(1);
}
process.stdout.write(`architecture lint ok: ${entries.length} files, no cycles, domain code pure\n`);
