/**
 * Architecture lint: fails on circular imports anywhere in the sources
 * (type-only imports included), on I/O libraries, process, the clock or
 * randomness used by domain code, on a listed domain path that does not exist,
 * and on a library importing a service. The rules are in the README's
 * "Code rules"; the checks are in architecture-checks.ts.
 */
import { join, relative } from 'node:path';
import { checkCycles, checkDomainPurity, checkLibrariesImportNoService, tsFiles } from './architecture-checks.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const SOURCE_DIRS = ['libs', 'services'];

const entries = SOURCE_DIRS.flatMap((d) => tsFiles(join(ROOT, d))).map((f) => relative(ROOT, f));
const problems = [...checkDomainPurity(ROOT), ...checkLibrariesImportNoService(ROOT), ...checkCycles(ROOT, entries)];

if (problems.length > 0) {
  process.stderr.write(`architecture lint failed:\n${problems.map((p) => `  ${p}`).join('\n')}\n`);
  process.exit(1);
}
process.stdout.write(`architecture lint ok: ${entries.length} files, no cycles (type imports included), domain code pure, no library imports a service\n`);
