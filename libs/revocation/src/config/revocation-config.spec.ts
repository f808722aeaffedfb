import { ConfigError, EnvReader } from '@authmesh/platform';
import { readRevocationConfig } from './revocation-config.js';

describe('readRevocationConfig', () => {
  const read = (env: Record<string, string>) => {
    const reader = new EnvReader(env);
    const config = readRevocationConfig(reader);
    reader.finish('orders');
    return config;
  };

  it('defaults to 30 s of staleness, then reject', () => {
    expect(read({})).toEqual({ maxStalenessSeconds: 30, outagePolicy: 'reject' });
  });

  it('reads REVOCATION_MAX_STALENESS_S and REVOCATION_OUTAGE_POLICY', () => {
    expect(read({ REVOCATION_MAX_STALENESS_S: '5', REVOCATION_OUTAGE_POLICY: 'accept' })).toEqual({
      maxStalenessSeconds: 5,
      outagePolicy: 'accept',
    });
  });

  it('names every bad variable at once', () => {
    let error: unknown;
    try {
      read({ REVOCATION_MAX_STALENESS_S: '0', REVOCATION_OUTAGE_POLICY: 'ignore' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(String((error as Error).message)).toMatch(/REVOCATION_MAX_STALENESS_S: must be an integer between 1 and 86400/);
    expect(String((error as Error).message)).toMatch(/REVOCATION_OUTAGE_POLICY: must be reject or accept/);
  });
});
