/**
 * A worker thread that answers numbered jobs (its module under workers/, a
 * plain JavaScript module so it runs from the sources and the build alike:
 * workers/protocol.mjs), and the pool of them that the hash worker and the
 * copy workers are.
 * A worker that throws or exits (a crash, running out of memory,
 * worker.terminate()) would otherwise leave its callers waiting forever,
 * which a hook run without --timeout turns into a hung launch. So every job
 * it held is rejected with an error naming the job, and its owner is told,
 * to start a fresh worker for the next job.
 */
import { Worker } from "node:worker_threads";
import type { Answer } from "./workers/protocol.mjs";

/** The code of a job's error when its worker stopped: running the job again, on a new worker, may well work. */
export const WORKER_STOPPED = "ERR_WORKER_STOPPED";

interface Job {
  /** What the job does, for the error if the worker stops: "copying A to B". */
  what: string;
  // Each caller of run() knows the shape of its job's result.
  resolve: (result: unknown) => void;
  reject: (error: Error) => void;
}

export class JobWorker {
  readonly thread: Worker;
  /** Why the worker stopped, once it has; it takes no jobs after that. */
  stopped: string | undefined;
  private readonly jobs = new Map<number, Job>();
  private nextId = 0;

  /** `module`: the worker's code; `name` starts the error messages ("hash worker"); `onStop` is called once, when it stops. */
  constructor(
    module: URL,
    private readonly name: string,
    private readonly onStop: (stopped: JobWorker) => void,
  ) {
    this.thread = new Worker(module);
    // Idle: must not keep the process alive. run() refs it while jobs are out.
    this.thread.unref();
    this.thread.on("message", (answer: Answer) => this.answer(answer));
    // 'exit' follows 'error'; the error says more, so the first reason is kept.
    this.thread.on("error", (error: Error) => this.stop(`it failed: ${error.message}`));
    this.thread.on("exit", (code: number) => this.stop(`it exited with code ${code}`));
  }

  /** Jobs sent and not answered yet. */
  get pending(): number {
    return this.jobs.size;
  }

  /** Sends a job (`transfer`: memory handed to the worker) and resolves with its result. */
  run<T>(request: Record<string, unknown>, what: string, transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.stopped !== undefined) return Promise.reject(this.stoppedError(what));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.jobs.set(id, { what, resolve: resolve as (result: unknown) => void, reject });
      this.thread.ref();
      try {
        this.thread.postMessage({ ...request, id }, transfer);
      } catch (error) {
        // Not sent (memory already handed over, say): no answer will come to unref the worker.
        this.answer({ id, error: { message: error instanceof Error ? error.message : String(error) } });
      }
    });
  }

  /** Sends a message that gets no answer. */
  tell(request: Record<string, unknown>): void {
    if (this.stopped === undefined) this.thread.postMessage(request);
  }

  /** The error of a job this worker did not finish because it stopped. */
  stoppedError(what: string): Error {
    return Object.assign(new Error(`${this.name} stopped while ${what}: ${this.stopped}`), {
      code: WORKER_STOPPED,
    });
  }

  private answer({ id, result, error }: Answer): void {
    const job = this.jobs.get(id);
    this.jobs.delete(id);
    if (this.jobs.size === 0) this.thread.unref();
    if (error) job?.reject(Object.assign(new Error(error.message), { code: error.code }));
    else job?.resolve(result);
  }

  private stop(reason: string): void {
    if (this.stopped !== undefined) return;
    this.stopped = reason;
    this.onStop(this);
    const jobs = [...this.jobs.values()];
    this.jobs.clear();
    for (const job of jobs) job.reject(this.stoppedError(job.what));
  }
}

/**
 * Up to `size` workers running one module, started as jobs come: a job goes
 * to a new worker while there are fewer than `size`, else to the one with
 * the fewest jobs out. A worker that stops leaves the pool (its jobs are
 * rejected, see JobWorker), and the next job starts a fresh one in its place.
 */
export class WorkerPool {
  private readonly workers: JobWorker[] = [];

  constructor(
    private readonly module: URL,
    private readonly name: string,
    private readonly size: number,
  ) {}

  /** The worker for the next job. */
  pick(): JobWorker {
    if (this.workers.length < this.size) {
      const created = new JobWorker(this.module, this.name, (stopped) => {
        const at = this.workers.indexOf(stopped);
        if (at >= 0) this.workers.splice(at, 1);
      });
      this.workers.push(created);
      return created;
    }
    return this.workers.reduce((a, b) => (b.pending < a.pending ? b : a));
  }

  /** For tests only: the live threads, to terminate them. */
  threads(): Worker[] {
    return this.workers.map((w) => w.thread);
  }
}
