/**
 * Dropbox's `content_hash` (developers.dropbox.com/dropbox-hash): the file
 * cut into 4 MiB blocks, each block's sha256, then the sha256 of those
 * digests one after the other. Fed in order, in pieces of any size, so an
 * upload hashes the bytes as it reads them.
 */
import { createHash, type Hash } from "node:crypto";

const BLOCK = 4 * 1024 * 1024;

export class ContentHasher {
  private readonly whole = createHash("sha256");
  private block: Hash = createHash("sha256");
  private inBlock = 0;

  update(data: Uint8Array): this {
    let at = 0;
    while (at < data.length) {
      const take = Math.min(BLOCK - this.inBlock, data.length - at);
      this.block.update(data.subarray(at, at + take));
      this.inBlock += take;
      at += take;
      if (this.inBlock === BLOCK) {
        this.whole.update(this.block.digest());
        this.block = createHash("sha256");
        this.inBlock = 0;
      }
    }
    return this;
  }

  digest(): string {
    if (this.inBlock > 0) this.whole.update(this.block.digest());
    return this.whole.digest("hex");
  }
}
