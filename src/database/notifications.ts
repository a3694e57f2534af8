import pg from 'pg';

/** What a {@link NotificationListener} tells its owner. */
export interface NotificationHandler {
  /** A NOTIFY on the channel, with its payload. */
  notified(payload: string): void;
  /**
   * The connection (re)started listening: notifications sent while it was down were missed, so
   * whatever they would have invalidated must be dropped now.
   */
  listening(): void;
}

/** Channel names are interpolated into LISTEN (it takes no parameter): an allow-list of identifiers. */
const CHANNEL = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * LISTEN on one channel over a dedicated connection (outside the pool, with the pool's connection
 * settings), reconnecting by itself, and with a heartbeat that says how fresh its view is.
 *
 * {@link confirmedSince} is the send time of the last heartbeat the server answered. PostgreSQL
 * delivers a notification to an idle listening session at the notifier's commit, before it reads the
 * listener's next query, and answers on one connection in order: so every notification committed
 * before that instant has been handed to {@link NotificationHandler.notified} already. A cache can
 * trust what it knows exactly up to that instant, whatever happens to the connection.
 */
export class NotificationListener {
  private client: pg.Client | undefined;
  private closed = false;
  private heartbeat: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private retryMs: number;
  private confirmed = Number.NEGATIVE_INFINITY;
  private pingInFlight = false;

  constructor(
    private readonly options: pg.ClientConfig,
    private readonly channel: string,
    private readonly handler: NotificationHandler,
    private readonly timing = { heartbeatMs: 250, minRetryMs: 250, maxRetryMs: 10_000 },
    private readonly onError: (message: string) => void = () => undefined,
  ) {
    if (!CHANNEL.test(channel)) throw new Error(`not a channel name: ${channel}`);
    this.retryMs = timing.minRetryMs;
  }

  /** The send time (Date.now()) of the last answered heartbeat: every notification committed before it has been delivered. */
  confirmedSince(): number {
    return this.confirmed;
  }

  /** Connects and listens; resolves once listening or once the first attempt failed (it keeps retrying). */
  async start(): Promise<void> {
    await this.connect();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.heartbeat);
    clearTimeout(this.retry);
    const client = this.client;
    this.client = undefined;
    this.confirmed = Number.NEGATIVE_INFINITY;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client(this.options);
    this.client = client;
    client.on('notification', (message) => {
      if (message.channel === this.channel) this.handler.notified(message.payload ?? '');
    });
    client.on('error', (error) => this.lost(client, error.message));
    client.on('end', () => this.lost(client, 'connection ended'));
    try {
      await client.connect();
      await client.query(`listen ${this.channel}`);
    } catch (error) {
      this.lost(client, (error as Error).message);
      return;
    }
    if (this.client !== client) return;
    this.retryMs = this.timing.minRetryMs;
    this.confirmed = Date.now();
    this.handler.listening();
    this.heartbeat = setInterval(() => this.ping(client), this.timing.heartbeatMs);
    this.heartbeat.unref();
  }

  private ping(client: pg.Client): void {
    if (this.pingInFlight) return;
    this.pingInFlight = true;
    const sent = Date.now();
    client.query('select 1').then(
      () => {
        this.pingInFlight = false;
        if (this.client === client) this.confirmed = sent;
      },
      (error: Error) => {
        this.pingInFlight = false;
        this.lost(client, error.message);
      },
    );
  }

  /** The connection is gone: stop trusting it, and try again after a growing delay. */
  private lost(client: pg.Client, reason: string): void {
    if (this.client !== client) return;
    this.client = undefined;
    this.confirmed = Number.NEGATIVE_INFINITY;
    clearInterval(this.heartbeat);
    client.end().catch(() => undefined);
    if (this.closed) return;
    this.onError(reason);
    const delay = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, this.timing.maxRetryMs);
    this.retry = setTimeout(() => void this.connect(), delay);
    this.retry.unref();
  }
}
