/**
 * One reused buffer for the SFTP packets that arrive in several SSH packets.
 *
 * ssh2's SFTP client reassembles every SFTP packet that spans more than one
 * SSH packet into a new buffer. A 255 KiB READ answer arrives in 8 SSH
 * packets of 32 KiB, so a 1 GiB download allocates 1 GiB of buffers that live
 * for one callback. V8 collects in proportion to that outside-the-heap memory:
 * on this project's benchmark machine it cost about 0.4 s of CPU per GiB
 * (mostly full collections on the collector's threads), about a fifth of the
 * download's CPU (docs/benchmarks/sftp.md).
 *
 * This sits in front of the session's `push` (where ssh2 hands it the bytes
 * of each SSH packet), reassembles split SFTP packets itself, and hands ssh2
 * only whole packets, which ssh2 then reads in place without a copy of its
 * own. Whole packets inside one SSH packet go through untouched.
 *
 * The buffer is reused only after a DATA answer: ssh2 copies a DATA answer's
 * bytes into the reader's buffer before `push` returns (every ssh2 READ
 * carries a buffer). Any other answer (a file handle, a listing) may keep
 * views into its packet, so such a packet keeps the buffer and the next one
 * gets a fresh buffer.
 *
 * All of this leans on ssh2 internals that are not its API (`push`, reading a
 * whole packet in place, copying a DATA answer out before `push` returns), and
 * with the default `verify: size` a wrongly reassembled file would pass its
 * check. So it is installed only on the ssh2 release it was checked against;
 * on any other, ssh2 reassembles as it always did.
 */
import { createRequire } from "node:module";
import { sftpWarn } from "./warnings.js";

/**
 * The ssh2 release whose lib/protocol/SFTP.js this was read against and
 * tested with (test/sftp/packet-buffer.sshd.test.ts). package.json pins ssh2
 * to it; raise both together, after checking those internals again.
 */
export const VERIFIED_SSH2_VERSION = "1.17.0";

/** SSH_FXP_DATA, the answer to a READ. */
const SSH_FXP_DATA = 103;

/** ssh2's limit on an incoming SFTP packet's length (OPENSSH_MAX_PKT_LEN); longer ones are its fatal error. */
const MAX_PACKET_LENGTH = 256 * 1024;

/** Any packet ssh2 accepts, length prefix included (a 255 KiB READ answer is 261,133 bytes). */
export const REUSED_PACKET_BYTES = 4 + MAX_PACKET_LENGTH;

/** What ssh2's SFTP session offers: `push` gets each SSH packet's data, or null at the end. */
export interface PushTarget {
  push(data: Buffer | null): unknown;
}

let installedVersion: string | undefined;

/**
 * The version of the ssh2 this process loads, which a lockfile, an override
 * or a deduplicated tree can make differ from the pin. Read on first use, so
 * loading the provider does not touch ssh2.
 */
function installedSsh2Version(): string {
  if (installedVersion === undefined) {
    try {
      const manifest = createRequire(import.meta.url)("ssh2/package.json") as { version?: unknown };
      installedVersion =
        typeof manifest.version === "string" ? manifest.version : "unknown (its package.json has no version)";
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      installedVersion = `unknown (cannot read ssh2/package.json: ${reason})`;
    }
  }
  return installedVersion;
}

/** Said once per process: every connection would otherwise repeat it. */
let warnedVersion = false;

/**
 * Puts the reassembly in front of `session.push`, if `ssh2Version` (by
 * default the installed ssh2's) is VERIFIED_SSH2_VERSION; otherwise leaves
 * the session alone. Says whether it was installed. Call it while the session
 * is between packets (after the SFTP handshake, before any request).
 */
export function reuseSplitPacketBuffer(
  session: PushTarget,
  ssh2Version: string = installedSsh2Version(),
): boolean {
  if (ssh2Version !== VERIFIED_SSH2_VERSION) {
    if (!warnedVersion) {
      warnedVersion = true;
      sftpWarn(
        `sftp: the installed ssh2 is version ${ssh2Version}, but the split-packet reassembly in providers/sftp/packet-buffer.ts ` +
          `was verified against ssh2 ${VERIFIED_SSH2_VERSION} only; using ssh2's own reassembly ` +
          "(correct, with more garbage collection on large downloads)",
      );
    }
    return false;
  }
  const push = session.push.bind(session);
  let reused: Buffer | undefined;
  /** The packet being assembled (length prefix included), and how many of its bytes arrived. */
  let packet: Buffer | undefined;
  let filled = 0;
  /** The 4 length bytes of a packet whose length straddles two SSH packets. */
  const prefix = Buffer.alloc(4);
  let prefixBytes = 0;
  /** After bytes this cannot frame, everything goes to ssh2 as is: its own checks report the fault. */
  let bypass = false;

  const framable = (length: number) => length > 0 && length <= MAX_PACKET_LENGTH;

  /** Where a split packet of this (framable) length is assembled: every one fits the reused buffer. */
  const startPacket = (length: number): Buffer => {
    reused ??= Buffer.allocUnsafeSlow(REUSED_PACKET_BYTES);
    return reused.subarray(0, 4 + length);
  };

  const deliver = (whole: Buffer): unknown => {
    const result = push(whole);
    // ssh2 has copied a DATA answer out; any other packet may still be referenced.
    if (reused && whole.buffer === reused.buffer && whole[4] !== SSH_FXP_DATA) reused = undefined;
    return result;
  };

  session.push = (data: Buffer | null): unknown => {
    if (data === null || bypass) return push(data);
    let result: unknown;
    let p = 0;
    while (p < data.length) {
      if (packet) {
        const n = Math.min(packet.length - filled, data.length - p);
        data.copy(packet, filled, p, p + n);
        filled += n;
        p += n;
        if (filled < packet.length) return result;
        const whole = packet;
        packet = undefined;
        result = deliver(whole);
        continue;
      }
      if (prefixBytes > 0 || data.length - p < 4) {
        // The length itself is split: collect its 4 bytes first.
        while (prefixBytes < 4 && p < data.length) prefix[prefixBytes++] = data[p++] as number;
        if (prefixBytes < 4) return result;
        prefixBytes = 0;
        const length = prefix.readUInt32BE(0);
        if (!framable(length)) {
          bypass = true;
          return push(Buffer.concat([prefix, data.subarray(p)]));
        }
        packet = startPacket(length);
        prefix.copy(packet, 0);
        filled = 4;
        continue;
      }
      const length = data.readUInt32BE(p);
      if (!framable(length)) {
        bypass = true;
        return push(data.subarray(p));
      }
      if (data.length - p >= 4 + length) {
        // Whole inside this SSH packet: ssh2 reads it in place.
        result = push(data.subarray(p, p + 4 + length));
        p += 4 + length;
        continue;
      }
      packet = startPacket(length);
      filled = 0;
    }
    return result;
  };
  return true;
}
