/**
 * A small pool of SFTP connections, so a batch moves files in parallel over a
 * bounded number of sessions (one SFTP channel per connection: requests in
 * parallel on one channel are unreliable in ssh2). A connection that failed
 * is dropped and the next use opens a fresh one.
 */
import type SftpClient from "ssh2-sftp-client";
import { isConnectionError } from "./errors.js";

export class SftpPool {
  private readonly idle: SftpClient[] = [];
  private readonly waiting: Array<(client: SftpClient | undefined) => void> = [];
  private open = 0;
  private closed = false;

  constructor(
    private readonly connect: () => Promise<SftpClient>,
    private readonly size: number,
  ) {}

  async use<T>(work: (client: SftpClient) => Promise<T>): Promise<T> {
    const client = await this.acquire();
    let healthy = true;
    try {
      return await work(client);
    } catch (error) {
      healthy = !isConnectionError(error);
      throw error;
    } finally {
      this.release(client, healthy);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const clients = this.idle.splice(0);
    this.open -= clients.length;
    await Promise.allSettled(clients.map((client) => client.end()));
  }

  private async acquire(): Promise<SftpClient> {
    if (this.closed) throw new Error("the SFTP connection pool is closed");
    const idle = this.idle.pop();
    if (idle) return idle;
    if (this.open < this.size) {
      this.open += 1;
      try {
        return await this.connect();
      } catch (error) {
        this.open -= 1;
        this.handOver();
        throw error;
      }
    }
    const next = await new Promise<SftpClient | undefined>((resolve) => this.waiting.push(resolve));
    return next ?? this.acquire();
  }

  private release(client: SftpClient, healthy: boolean): void {
    if (!healthy || this.closed) {
      this.open -= 1;
      void client.end().catch(() => undefined);
      this.handOver();
      return;
    }
    const waiter = this.waiting.shift();
    if (waiter) waiter(client);
    else this.idle.push(client);
  }

  /** A slot freed up: let one waiter open a new connection. */
  private handOver(): void {
    this.waiting.shift()?.(undefined);
  }
}
