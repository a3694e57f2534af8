/** Gives back a permit; calling it more than once is harmless. */
export type Release = () => void;

interface Waiter {
  grant: (release: Release) => void;
  timer: NodeJS.Timeout;
}

/**
 * A counting semaphore with a FIFO queue and a bounded wait, in memory. `acquire` resolves with a
 * release function once a permit is free, or with undefined when `timeoutMs` passes first (the waiter
 * leaves the queue then, so a timed-out caller never holds a permit).
 */
export class Semaphore {
  private free: number;
  private readonly queue: Waiter[] = [];

  constructor(readonly permits: number) {
    if (!Number.isInteger(permits) || permits < 1) throw new Error(`a semaphore needs at least one permit, got ${permits}`);
    this.free = permits;
  }

  /** Permits in use right now. */
  get inUse(): number {
    return this.permits - this.free;
  }

  /** Callers waiting for a permit right now. */
  get waiting(): number {
    return this.queue.length;
  }

  acquire(timeoutMs: number): Promise<Release | undefined> {
    if (this.free > 0) {
      this.free--;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve) => {
      const waiter: Waiter = {
        grant: resolve,
        timer: setTimeout(() => {
          const at = this.queue.indexOf(waiter);
          if (at >= 0) this.queue.splice(at, 1);
          resolve(undefined);
        }, timeoutMs),
      };
      this.queue.push(waiter);
    });
  }

  private releaser(): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.queue.shift();
      if (next) {
        // The permit passes straight to the next waiter: `free` stays as it is.
        clearTimeout(next.timer);
        next.grant(this.releaser());
      } else {
        this.free++;
      }
    };
  }
}
