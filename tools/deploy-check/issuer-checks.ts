import type { DeployedApp } from './config-vars.js';

/** One deployed app's environment as the issuer rule reads it (a container, a compose service). */
export interface AppEnvironment {
  /** How problems name it: `Deployment orders: container orders`, `compose service orders`. */
  readonly at: string;
  readonly app: DeployedApp;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** The apps that verify tokens with auth's keys (libs/token-verifier). */
const VERIFIERS: ReadonlySet<DeployedApp> = new Set(['orders', 'profiles', 'gateway']);
/** Back-channel URLs that must stay inside the deployment, per app, and what each default would be. */
const IN_CLUSTER: readonly { app: DeployedApp; name: string; path: string }[] = [
  { app: 'orders', name: 'AUTH_JWKS_URI', path: '/.well-known/jwks.json' },
  { app: 'profiles', name: 'AUTH_JWKS_URI', path: '/.well-known/jwks.json' },
  { app: 'gateway', name: 'AUTH_JWKS_URI', path: '/.well-known/jwks.json' },
  { app: 'orders', name: 'AUTH_TOKEN_URL', path: '/oauth/token' },
];

const stripSlash = (u: string): string => u.replace(/\/$/, '');
const hostOf = (u: string): string | undefined => {
  try {
    return new URL(u).hostname;
  } catch {
    return undefined;
  }
};

/**
 * AUTH_ISSUER is auth's public URL (the gateway's GATEWAY_AUTH_PUBLIC_URL) in every app: OpenID
 * Connect clients refuse a discovery document whose `issuer` is not the URL they discovered (OIDC
 * Discovery §4.3) and an ID token whose `iss` differs (OIDC Core §3.1.3.7), and discovery names
 * every endpoint under the issuer. The back channel stays in-cluster: the verifiers' AUTH_JWKS_URI
 * and orders' AUTH_TOKEN_URL name auth's internal host (`isAuthHost`), since their defaults,
 * derived from AUTH_ISSUER, would leave through the public host (and the NetworkPolicies).
 */
export function issuerProblems(apps: readonly AppEnvironment[], isAuthHost: (host: string) => boolean): string[] {
  const gateway = apps.find((a) => a.app === 'gateway');
  const publicUrl = gateway?.env.GATEWAY_AUTH_PUBLIC_URL;
  if (gateway === undefined) return [];
  if (publicUrl === undefined) return [`${gateway.at}: sets no GATEWAY_AUTH_PUBLIC_URL, so auth's public URL (its issuer) is not said`];
  const problems: string[] = [];
  for (const a of apps) {
    if (a.app !== 'auth' && !VERIFIERS.has(a.app)) continue;
    const issuer = a.env.AUTH_ISSUER;
    if (issuer === undefined || stripSlash(issuer) !== stripSlash(publicUrl))
      problems.push(
        `${a.at}: AUTH_ISSUER is ${issuer ?? 'unset'}, not auth's public URL ${publicUrl} (GATEWAY_AUTH_PUBLIC_URL): OIDC clients refuse a discovery document whose issuer is not the URL they discovered`,
      );
    for (const rule of IN_CLUSTER.filter((r) => r.app === a.app)) {
      const url = a.env[rule.name];
      if (url === undefined)
        problems.push(
          `${a.at}: ${rule.name} is unset, so it defaults to \${AUTH_ISSUER}${rule.path}, the public host; name auth's internal host`,
        );
      else if (!isAuthHost(hostOf(url) ?? '')) problems.push(`${a.at}: ${rule.name} ${url} is not auth's internal host`);
    }
  }
  return problems;
}
