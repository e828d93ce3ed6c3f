/**
 * CPU profiles of Ringtail services started by a bench or test harness:
 *
 *   RINGTAIL_CPU_PROFILE_DIR=/tmp/prof NODE_OPTIONS="--import $PWD/scripts/cpu-profile-preload.mjs" npm run bench:pipeline
 *
 * `--cpu-prof` is refused in NODE_OPTIONS, so this preload starts the V8
 * profiler through the inspector in every process whose entry file ends with
 * RINGTAIL_CPU_PROFILE_MATCH (default `main.ts`: the services) and writes
 * `<service>-<pid>.cpuprofile` when the process exits (a service exits after
 * SIGTERM), readable by Chrome DevTools or speedscope. Sampling every 1 ms.
 * Does nothing unless RINGTAIL_CPU_PROFILE_DIR is set.
 */
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';

const dir = process.env.RINGTAIL_CPU_PROFILE_DIR;
const match = process.env.RINGTAIL_CPU_PROFILE_MATCH || 'main.ts';
const entry = process.argv[1] ?? '';
const SAMPLING_INTERVAL_US = 1000;

if (dir && entry.endsWith(match)) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: SAMPLING_INTERVAL_US });
  session.post('Profiler.start');
  // A same-thread inspector session answers synchronously, so this completes inside 'exit'.
  process.on('exit', () => {
    session.post('Profiler.stop', (err, result) => {
      if (err) return;
      const service = entry.split('/').slice(-3, -2)[0] ?? 'node';
      writeFileSync(`${dir}/${service}-${process.pid}.cpuprofile`, JSON.stringify(result.profile));
    });
  });
}
