/**
 * What orders needs to start when a test does not exercise the call to profiles: a client secret
 * and a profiles URL that nothing listens on (port 9, "discard"). No call is made at start-up.
 */
export const UNUSED_PROFILES_CLIENT_ENV: Readonly<Record<string, string>> = {
  ORDERS_CLIENT_SECRET: 'not-used-by-this-test',
  PROFILES_URL: 'http://127.0.0.1:9',
};
