// oidc-provider ships no types (and @types/oidc-provider stops at v8): the little the bench's peer uses.
declare module 'oidc-provider' {
  export default class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>);
    listen(port: number, host: string, callback: () => void): unknown;
  }
}
