/**
 * Several judge endpoints in rotation. A endpoint that refused a connection is skipped for a cool-down
 * (doubling while it stays dead, up to 16×) and then tried again.
 */
export interface EndpointState {
  url: string;
  deadUntil: number;
  failures: number;
}

export type Pick = { index: number } | { waitMs: number };

export class EndpointPool {
  readonly endpoints: EndpointState[];
  private cursor = 0;

  constructor(
    urls: readonly string[],
    private readonly cooldownMs: number,
  ) {
    if (urls.length === 0) throw new Error("EndpointPool: no endpoint");
    this.endpoints = urls.map((url) => ({ url, deadUntil: 0, failures: 0 }));
  }

  /** The next live endpoint in round-robin order, or how long until the first dead one may be retried. */
  pick(now: number): Pick {
    const n = this.endpoints.length;
    for (let k = 0; k < n; k++) {
      const index = (this.cursor + k) % n;
      if ((this.endpoints[index] as EndpointState).deadUntil <= now) {
        this.cursor = (index + 1) % n;
        return { index };
      }
    }
    return { waitMs: Math.max(1, Math.min(...this.endpoints.map((e) => e.deadUntil)) - now) };
  }

  markDead(index: number, now: number): void {
    const e = this.endpoints[index] as EndpointState;
    e.failures++;
    e.deadUntil = now + this.cooldownMs * 2 ** Math.min(4, e.failures - 1);
  }

  markAlive(index: number): void {
    const e = this.endpoints[index] as EndpointState;
    e.failures = 0;
    e.deadUntil = 0;
  }
}
