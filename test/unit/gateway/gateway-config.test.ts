import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '@ringtail/gateway';
import { configErrorOf, settingFiles } from '../../support/config-files.ts';

const { dir, file } = settingFiles('ringtail-gateway-config-');
const tokens = (env: Record<string, string>) => loadConfig(env).bearerTokens.map((t) => t.reveal());
const failure = (env: Record<string, string>) => configErrorOf(() => loadConfig(env));

describe('the gateway bearer token settings', () => {
  it('read tokens from GATEWAY_BEARER_TOKENS or from the file GATEWAY_BEARER_TOKENS_FILE names', () => {
    expect(tokens({ GATEWAY_BEARER_TOKENS: 'a b,c' })).toEqual(['a', 'b', 'c']);
    expect(tokens({ GATEWAY_BEARER_TOKENS_FILE: file('tokens', 'x\ny,z\n') })).toEqual(['x', 'y', 'z']);
    // '' is how compose files pass an unset variable.
    expect(tokens({ GATEWAY_BEARER_TOKENS: '', GATEWAY_BEARER_TOKENS_FILE: '' })).toEqual([]);
    expect(tokens({})).toEqual([]);
  });

  it('keep the tokens out of anything printed', () => {
    const config = loadConfig({ GATEWAY_BEARER_TOKENS_FILE: file('secret-tokens', 'very-secret-token\n') });
    expect(JSON.stringify(config)).not.toContain('very-secret-token');
    expect(String(config.bearerTokens[0])).not.toContain('very-secret-token');
  });

  it('refuse both forms at once, and a file that cannot be read or is empty, naming the variable', () => {
    expect(failure({ GATEWAY_BEARER_TOKENS: 'a', GATEWAY_BEARER_TOKENS_FILE: file('both', 'b') }).variable).toBe('GATEWAY_BEARER_TOKENS');
    const missing = failure({ GATEWAY_BEARER_TOKENS_FILE: join(dir, 'no-such-file') });
    expect(missing.variable).toBe('GATEWAY_BEARER_TOKENS_FILE');
    expect(missing.message).toContain('ENOENT');
    expect(failure({ GATEWAY_BEARER_TOKENS_FILE: file('empty', '\n') }).variable).toBe('GATEWAY_BEARER_TOKENS_FILE');
  });
});
