/**
 * The service's Prometheus metrics (prom-client, its own registry): requests and their latency by protocol
 * and status, judge attempts and their latency by endpoint and outcome, judgements that failed after their
 * retries, requests in flight, and the process defaults (CPU, memory, event-loop lag).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { JudgeAttempt } from "../reward/index.js";

export type Protocol = "flow-factory-pointwise" | "flow-factory-groupwise" | "edit-r1" | "other";

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

export class ServiceMetrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({ name: "portraitrl_reward_requests_total", help: "HTTP requests answered, by protocol and status", labelNames: ["protocol", "status"], registers: [this.registry] });
  private readonly requestSeconds = new Histogram({ name: "portraitrl_reward_request_seconds", help: "Time to answer a request, by protocol", labelNames: ["protocol"], buckets: SECONDS, registers: [this.registry] });
  private readonly items = new Counter({ name: "portraitrl_reward_items_total", help: "Samples scored, by protocol", labelNames: ["protocol"], registers: [this.registry] });
  private readonly inFlight = new Gauge({ name: "portraitrl_reward_requests_in_flight", help: "Requests being answered", registers: [this.registry] });
  private readonly attempts = new Counter({ name: "portraitrl_judge_attempts_total", help: "HTTP attempts to a judge endpoint, by outcome (ok, retry, fail)", labelNames: ["endpoint", "outcome"], registers: [this.registry] });
  private readonly attemptSeconds = new Histogram({ name: "portraitrl_judge_attempt_seconds", help: "Latency of one judge HTTP attempt, by endpoint", labelNames: ["endpoint"], buckets: SECONDS, registers: [this.registry] });
  private readonly failedJudgements = new Counter({ name: "portraitrl_judgements_failed_total", help: "Judgements with no score after their retries", registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: "portraitrl_reward_" });
  }

  started(): () => void {
    this.inFlight.inc();
    let done = false;
    return () => {
      if (!done) this.inFlight.dec();
      done = true;
    };
  }

  answered(protocol: Protocol, status: number, seconds: number, items: number): void {
    this.requests.inc({ protocol, status: String(status) });
    this.requestSeconds.observe({ protocol }, seconds);
    if (status === 200) this.items.inc({ protocol }, items);
  }

  attempt(a: JudgeAttempt): void {
    this.attempts.inc({ endpoint: a.url, outcome: a.outcome });
    this.attemptSeconds.observe({ endpoint: a.url }, a.ms / 1000);
  }

  judgementsFailed(count: number): void {
    this.failedJudgements.inc(count);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
