/**
 * One asynchronous pass at a time, run again when asked during a pass: the loop behind the
 * services that look at the world and then act (duty switches, alerts, membership jobs).
 *
 * - `kick()` runs a pass now or, while one runs, exactly one more after it however often it was
 *   asked; it replaces a pass scheduled for later.
 * - `schedule(ms)` runs a pass later (a timer that does not keep the process alive), replacing
 *   the one scheduled before; a kick comes first if there is one. `within(ms)` is the same but
 *   keeps a pass already due sooner, so a steady stream of requests cannot keep pushing it back.
 * - A failing pass is reported to `onError` and never thrown out of a timer. With
 *   `retryAfterErrorMs`, it is tried again that much later unless a pass is due sooner: a pass
 *   that arms its own next timer at its end does not get there when it fails (a busy store, a
 *   dropped connection), and would otherwise wait for the next outside kick.
 * - `onIdle` runs after a pass when no other is due: where a service arms its next timer.
 * - After `stop()` nothing new starts; it resolves when the pass under way has ended.
 */
export interface SerialRunnerOptions {
  readonly onError: (error: unknown) => void;
  readonly onIdle?: () => void;
  readonly retryAfterErrorMs?: number;
}

export class SerialRunner {
  private running: Promise<void> | null = null;
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  /** performance.now() at which the scheduled pass is due. */
  private timerDue = 0;
  private stopped = false;

  constructor(
    private readonly pass: () => Promise<void>,
    private readonly options: SerialRunnerOptions,
  ) {}

  /** Whether a pass runs now. */
  get busy(): boolean {
    return this.running !== null;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.clearTimer();
    let failed = false;
    this.running = this.pass()
      .catch((error: unknown) => {
        failed = true;
        this.options.onError(error);
      })
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.kick();
        } else if (!this.stopped) {
          if (failed && this.options.retryAfterErrorMs !== undefined) this.within(this.options.retryAfterErrorMs);
          this.options.onIdle?.();
        }
      });
  }

  schedule(ms: number): void {
    if (this.stopped) return;
    this.clearTimer();
    this.timerDue = performance.now() + Math.max(0, ms);
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.kick();
      },
      Math.max(0, ms),
    );
    this.timer.unref?.();
  }

  within(ms: number): void {
    if (this.timer && this.timerDue <= performance.now() + ms) return;
    this.schedule(ms);
  }

  /** Resolves when no pass runs, passes asked for during one included. */
  async whenIdle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Runs a pass now and waits for it (and for any asked for meanwhile). */
  async runNow(): Promise<void> {
    await this.whenIdle();
    this.kick();
    await this.whenIdle();
  }

  /** Lets passes start again after `stop()`. */
  resume(): void {
    this.stopped = false;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.again = false;
    this.clearTimer();
    await this.whenIdle();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
