/**
 * Keeps one embedded service running: when it dies (SIGKILL, crash, OOM) it is started again with
 * exponential backoff, and every death and restart is logged. The same start function is used for
 * the first start and for restarts, so a restarted service has the same port and the same data.
 */
import type { Logger } from 'pino';
import { settlesWithin, type ExitInfo } from './processes';

export interface SupervisedService {
  pid: number;
  exited: Promise<ExitInfo>;
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL to its whole process group, synchronously. */
  kill(): void;
}

export interface BackoffOptions {
  /** First delay after a death (ms). */
  initialDelayMs: number;
  /** Ceiling of the doubling delay (ms). */
  maxDelayMs: number;
  /** A service that stayed up this long starts over at the first delay. */
  stableAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialDelayMs: 500, maxDelayMs: 10_000, stableAfterMs: 60_000 };

export class Supervisor<T extends SupervisedService> {
  private current: T | null = null;
  private stopping = false;
  private failures = 0;
  private startedAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private restarting: Promise<void> | null = null;
  private abort = new AbortController();
  /** Number of restarts so far (tests and logs). */
  restarts = 0;

  constructor(
    readonly name: string,
    private readonly startService: (signal: AbortSignal) => Promise<T>,
    private readonly log: Logger,
    private readonly backoff: BackoffOptions = DEFAULT_BACKOFF,
    private readonly onRestarted?: (service: T) => void,
  ) {}

  /** The first start; its failure is the caller's (npm start reports it and stops). */
  async start(): Promise<T> {
    const service = await this.startService(this.abort.signal);
    this.adopt(service);
    return service;
  }

  get service(): T | null {
    return this.current;
  }

  private adopt(service: T): void {
    this.current = service;
    this.startedAt = Date.now();
    void service.exited.then((exit) => this.onExit(service, exit));
  }

  private onExit(service: T, exit: ExitInfo): void {
    if (this.stopping || this.current !== service) return;
    this.current = null;
    const upMs = Date.now() - this.startedAt;
    if (upMs >= this.backoff.stableAfterMs) this.failures = 0;
    // Sweep what the dead leader left in its process group (PostgreSQL backends still holding
    // shared memory would stop the new postmaster from starting).
    service.kill();
    this.log.error({ service: this.name, childPid: service.pid, code: exit.code, signal: exit.signal, upMs }, `${this.name} died (${exit.signal ?? `exit code ${exit.code}`}); restarting it`);
    this.schedule();
  }

  private schedule(): void {
    if (this.stopping) return;
    const delay = Math.min(this.backoff.maxDelayMs, this.backoff.initialDelayMs * 2 ** this.failures);
    this.failures += 1;
    this.log.info({ service: this.name, delayMs: delay, attempt: this.failures }, `restarting ${this.name} in ${delay} ms`);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.restarting = this.restart().finally(() => {
        this.restarting = null;
      });
    }, delay);
  }

  private async restart(): Promise<void> {
    if (this.stopping) return;
    const started = Date.now();
    try {
      const service = await this.startService(this.abort.signal);
      if (this.stopping) {
        await service.stop(1000);
        return;
      }
      this.restarts += 1;
      this.adopt(service);
      this.log.warn({ service: this.name, childPid: service.pid, startMs: Date.now() - started, restarts: this.restarts }, `${this.name} restarted (pid ${service.pid})`);
      this.onRestarted?.(service);
    } catch (error) {
      if (this.stopping) return;
      this.log.error({ service: this.name, err: error }, `restarting ${this.name} failed`);
      this.schedule();
    }
  }

  /** Stops supervising and stops the service; bounded by graceMs plus a few seconds. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.abort.abort();
    // A restart in progress sees the abort and kills what it spawned.
    if (this.restarting) await settlesWithin(this.restarting, 3000);
    await this.current?.stop(graceMs);
  }

  /** Last resort (second Ctrl-C): SIGKILL now, no waiting. */
  kill(): void {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.abort.abort();
    this.current?.kill();
  }
}
