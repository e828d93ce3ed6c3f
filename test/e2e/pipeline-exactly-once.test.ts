import { describe, it } from 'vitest';
import { useExactlyOnceBed } from '../support/exactly-once-bed.ts';

// The main path of `npm test`; the same pipeline through crashes and a failover is in
// pipeline-crashes.test.ts (`npm run test:slow`).
describe('the pipeline counts every sample exactly once', () => {
  const bed = useExactlyOnceBed('e2e/exactly-once');

  it('aggregates 200k out-of-order samples over 5k series into exact windows', async () => {
    await bed.load.produce(200_000, 0);
    await bed.load.expectExact('steady state');
  });
});
