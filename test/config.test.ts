import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { redact } from '../src/shared/redact.js';

describe('loadConfig', () => {
  it('has documented defaults', () => {
    expect(loadConfig({})).toMatchObject({ pageSize: 1000, concurrency: 4, retries: 5, database: 'data.db' });
  });

  it('reads the environment and lets flags override it', () => {
    const config = loadConfig(
      { API_BASE_URL: 'http://127.0.0.1:9', PAGE_SIZE: '250', RESONANCE_ALGORITHM: 'abc' },
      { pageSize: '100' },
    );
    expect(config).toMatchObject({
      apiBaseUrl: 'http://127.0.0.1:9',
      pageSize: 100,
      resonanceAlgorithm: 'abc',
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('rejects bad values naming the variable and what is accepted', () => {
    expect(() => loadConfig({ PAGE_SIZE: '5000' })).toThrow(/PAGE_SIZE must be 1\.\.1000/);
    expect(() => loadConfig({ PAGE_SIZE: '1.5' })).toThrow(/PAGE_SIZE must be an integer/);
    expect(() => loadConfig({ API_BASE_URL: 'ftp://x' })).toThrow(/API_BASE_URL must be an http\(s\) URL/);
  });

  it('registers the Flic-Token as a secret so it is redacted everywhere', () => {
    loadConfig({ FLIC_TOKEN: 'super-secret-token-123' });
    expect(redact('header was super-secret-token-123!')).toBe('header was [REDACTED]!');
  });
});
