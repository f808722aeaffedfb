/** Shown after `authctl --help`: what a script needs to know. */
export const ROOT_HELP_AFTER = `
Configuration (environment):
  AUTH_URL               auth's base URL (default http://127.0.0.1:3001)
  AUTHCTL_CLIENT_ID      client with scope auth:admin and audience auth (default authctl)
  AUTHCTL_CLIENT_SECRET  its secret (default: the authctl entry of .data/suite-clients.json, written by npm start)
  AUTHCTL_TIMEOUT_MS     bound on each HTTP call (default 10000)

Exit codes:
  0  success
  1  auth refused the operation (4xx); its code and message are printed
  2  usage error or refused input (bad flag, missing --reason, ambiguous or unknown kid, bad configuration); nothing was changed
  3  auth unreachable, timed out, answered 5xx/429, or rejected authctl's own credentials
`;
