/**
 * Renders engine events on a terminal: one progress bar (files and bytes)
 * while a pass or a request moves files. Nothing is drawn when stderr is not
 * a TTY or under --json, so logs and results stay clean.
 */
import { createRequire } from "node:module";
import type { SingleBar as SingleBarType } from "cli-progress";
import type { EngineEvent } from "../engine/types.js";
import { formatBytes } from "./format.js";

export function progressRenderer(enabled: boolean): {
  onEvent: (event: EngineEvent) => void;
  stop: () => void;
} {
  if (!enabled || !process.stderr.isTTY) return { onEvent: () => {}, stop: () => {} };
  // Loaded only when a bar is drawn: --json runs and pipes never pay for it.
  const { SingleBar } = createRequire(import.meta.url)("cli-progress") as { SingleBar: typeof SingleBarType };
  const bar = new SingleBar({
    stream: process.stderr,
    // {value}/{total} are the bar's own (bytes); the readable sizes travel as moved/size.
    format: "{label} [{bar}] {files} files | {moved} of {size}",
    hideCursor: true,
    clearOnComplete: false,
  });
  let running = false;
  let totalBytes = 0;
  let doneBytes = 0;
  let filesDone = 0;
  let filesTotal = 0;
  const inFlight = new Map<string, number>();
  const payload = (label: string) => ({
    label,
    files: `${filesDone}/${filesTotal}`,
    moved: formatBytes(doneBytes + [...inFlight.values()].reduce((a, b) => a + b, 0)),
    size: formatBytes(totalBytes),
  });
  return {
    onEvent(event) {
      if (event.type === "project-start" && event.files > 0) {
        totalBytes += event.bytes;
        filesTotal += event.files;
        if (!running) bar.start(Math.max(totalBytes, 1), 0, payload(event.project));
        else bar.setTotal(Math.max(totalBytes, 1));
        running = true;
      } else if (event.type === "file-progress" && running) {
        inFlight.set(event.job.file.id, event.transferred);
        const current = payload(event.job.project);
        bar.update(doneBytes + [...inFlight.values()].reduce((a, b) => a + b, 0), current);
      } else if (event.type === "file-done" && running) {
        inFlight.delete(event.outcome.job.file.id);
        filesDone += 1;
        if (event.outcome.status === "ok") doneBytes += event.outcome.bytes;
        bar.update(doneBytes, payload(event.outcome.job.project));
      }
    },
    stop() {
      if (running) bar.stop();
    },
  };
}
