import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type PushTarget,
  REUSED_PACKET_BYTES,
  reuseSplitPacketBuffer,
  VERIFIED_SSH2_VERSION,
} from "../../providers/sftp/packet-buffer.js";
import { onSftpWarning } from "../../providers/sftp/warnings.js";

const DATA = 103;
const HANDLE = 102;

/** An SFTP packet as it travels: uint32 length, then type and body. */
function packet(type: number, bodyLength: number): Buffer {
  const out = Buffer.alloc(5 + bodyLength);
  out.writeUInt32BE(1 + bodyLength, 0);
  out[4] = type;
  randomBytes(bodyLength).copy(out, 5);
  return out;
}

/** Stands in for ssh2's session: records what each push call got, as ssh2 would see it then. */
class Recorder implements PushTarget {
  /** Per push call: the bytes (copied at that moment) and the buffer itself (a view, as ssh2 keeps). */
  calls: { bytes: Buffer; view: Buffer | null }[] = [];
  push(data: Buffer | null): undefined {
    this.calls.push({ bytes: data ? Buffer.from(data) : Buffer.alloc(0), view: data });
    return undefined;
  }
}

/** Buffer lists compared by their bytes (vitest's deep equality is slow on large buffers). */
function expectSameBytes(actual: Buffer[], expected: Buffer[]): void {
  expect(actual.map((b) => b.length)).toEqual(expected.map((b) => b.length));
  for (const [i, b] of actual.entries()) expect(b.equals(expected[i] as Buffer), `packet ${i}`).toBe(true);
}

/** Splits the stream at the given cut points, as SSH packets would. */
function split(stream: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let at = 0;
  for (const cut of [...points, stream.length]) {
    if (cut > at) pieces.push(Buffer.from(stream.subarray(at, cut)));
    at = cut;
  }
  return pieces;
}

describe("SFTP packets split across SSH packets, reassembled in one reused buffer", () => {
  it("hands ssh2 each packet whole and in order, however the stream is cut", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ type: fc.constantFrom(DATA, HANDLE, 101), length: fc.nat(70_000) }), {
          minLength: 1,
          maxLength: 12,
        }),
        fc.array(fc.nat(), { maxLength: 40 }),
        (specs, cuts) => {
          const packets = specs.map((s) => packet(s.type, s.length));
          const target = new Recorder();
          reuseSplitPacketBuffer(target);
          for (const piece of split(Buffer.concat(packets), cuts)) target.push(piece);
          expectSameBytes(
            target.calls.map((c) => c.bytes),
            packets,
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it("reuses one buffer for split DATA answers, but never one a non-DATA packet was delivered in", () => {
    const target = new Recorder();
    reuseSplitPacketBuffer(target);
    const data = [packet(DATA, 261_120), packet(DATA, 261_120), packet(DATA, 100_000)];
    const handle = packet(HANDLE, 70_000);
    const after = [packet(DATA, 261_120), packet(DATA, 50_000)];
    const stream = Buffer.concat([...data, handle, ...after]);
    // 32 KiB SSH packets, as ssh2 gets them from OpenSSH.
    for (let at = 0; at < stream.length; at += 32_768)
      target.push(Buffer.from(stream.subarray(at, at + 32_768)));

    const buffers = target.calls.map((c) => c.view?.buffer);
    expectSameBytes(
      target.calls.map((c) => c.bytes),
      [...data, handle, ...after],
    );
    // The three DATA answers shared one buffer, and the handle's packet came in that buffer too...
    expect(new Set(buffers.slice(0, 4)).size).toBe(1);
    expect(buffers[0]?.byteLength).toBe(REUSED_PACKET_BYTES);
    // ...so the packets after it went elsewhere, and the handle's bytes are still intact.
    expect(buffers[4]).not.toBe(buffers[3]);
    expect(Buffer.from(target.calls[3]?.view ?? []).equals(handle)).toBe(true);
  });

  it("passes a packet that fits in one SSH packet as a view of it, without a copy", () => {
    const target = new Recorder();
    reuseSplitPacketBuffer(target);
    const a = packet(HANDLE, 10);
    const b = packet(DATA, 20);
    const ssh = Buffer.concat([a, b]);
    target.push(ssh);
    expect(target.calls.map((c) => c.view?.buffer)).toEqual([ssh.buffer, ssh.buffer]);
    expect(target.calls.map((c) => c.bytes)).toEqual([a, b]);
  });

  it("leaves lengths ssh2 refuses, and the end of the stream, to ssh2", () => {
    const target = new Recorder();
    reuseSplitPacketBuffer(target);
    const ok = packet(DATA, 8);
    const tooLong = Buffer.alloc(12);
    tooLong.writeUInt32BE(256 * 1024 + 1, 0);
    // The bad length arrives split; ssh2 still gets all 4 of its bytes, and everything after.
    target.push(Buffer.concat([ok, tooLong.subarray(0, 2)]));
    target.push(tooLong.subarray(2));
    target.push(Buffer.from("more"));
    target.push(null);
    expect(target.calls.map((c) => c.bytes)).toEqual([ok, tooLong, Buffer.from("more"), Buffer.alloc(0)]);
    expect(target.calls.at(-1)?.view).toBeNull();

    const zero = new Recorder();
    reuseSplitPacketBuffer(zero);
    zero.push(Buffer.from([0, 0, 0, 0, 7]));
    expect(zero.calls.map((c) => c.bytes)).toEqual([Buffer.from([0, 0, 0, 0, 7])]);
  });
});

describe("installed only on the ssh2 release it was verified against", () => {
  it("leaves the session to ssh2 on any other version, and says so once", () => {
    const said: string[] = [];
    onSftpWarning((message) => said.push(message));
    try {
      const target = new Recorder();
      expect(reuseSplitPacketBuffer(target, "1.18.0")).toBe(false);
      // ssh2's own push is untouched: a split packet reaches it in the pieces it came in.
      expect(Object.hasOwn(target, "push")).toBe(false);
      const split = packet(DATA, 100);
      target.push(split.subarray(0, 40));
      target.push(split.subarray(40));
      expect(target.calls.map((c) => c.bytes)).toEqual([split.subarray(0, 40), split.subarray(40)]);

      expect(reuseSplitPacketBuffer(new Recorder(), "2.0.0")).toBe(false);
      expect(said).toHaveLength(1);
      expect(said[0]).toContain("the installed ssh2 is version 1.18.0");
      expect(said[0]).toContain(`verified against ssh2 ${VERIFIED_SSH2_VERSION}`);

      const verified = new Recorder();
      expect(reuseSplitPacketBuffer(verified, VERIFIED_SSH2_VERSION)).toBe(true);
      expect(Object.hasOwn(verified, "push")).toBe(true);
      expect(said).toHaveLength(1);
    } finally {
      onSftpWarning((message) => process.emitWarning(message, "SitesyncSftp"));
    }
  });

  it("checks the installed ssh2 by default, which package.json pins to the verified release", () => {
    const manifest = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
      dependencies: Record<string, string>;
    };
    expect(manifest.dependencies.ssh2).toBe(VERIFIED_SSH2_VERSION);
    const installed = JSON.parse(
      readFileSync(new URL("../../node_modules/ssh2/package.json", import.meta.url), "utf8"),
    ) as { version: string };
    const target = new Recorder();
    expect(reuseSplitPacketBuffer(target)).toBe(installed.version === VERIFIED_SSH2_VERSION);
    expect(Object.hasOwn(target, "push")).toBe(installed.version === VERIFIED_SSH2_VERSION);
  });
});
