/**
 * Site paths as rclone names them. A site's paths are absolute in the
 * remote's namespace (`/srv/sitesync/proj/a.ma` on an sftp remote,
 * `bucket/sitesync/proj/a.ma` on S3). A command takes `remote:path`; a
 * remote control call takes a file system (`remote:root`) and a path inside
 * it. Every call of a site names the same file system, its root, because
 * rclone keeps one file system (for sftp: one pool of SSH connections) per
 * name: a file system per folder would open connections per folder.
 */
import path from "node:path";

export type RcPath = {
  fs: string;
  remote: string;
};

export class SitePaths {
  private readonly root: string;

  constructor(
    private readonly remoteName: string,
    root: string,
  ) {
    this.root = root.length > 1 ? root.replace(/\/+$/, "") : root;
  }

  /** `remote:path`, for a command's argument. */
  spec(sitePath: string): string {
    return `${this.remoteName}:${sitePath}`;
  }

  /** The site's root file system and the path inside it; outside the root, its folder's. */
  rc(sitePath: string): RcPath {
    const root = this.root;
    if (root !== "" && sitePath === root) return { fs: this.spec(root), remote: "" };
    const prefix = root.endsWith("/") ? root : `${root}/`;
    if (root !== "" && sitePath.startsWith(prefix)) {
      return { fs: this.spec(root), remote: sitePath.slice(prefix.length) };
    }
    return { fs: this.spec(path.posix.dirname(sitePath)), remote: path.posix.basename(sitePath) };
  }
}

/** A path on this machine as a remote control call names it: its drive's root, and the path inside. */
export function localRc(file: string): RcPath {
  const absolute = path.resolve(file);
  const { root } = path.parse(absolute);
  return { fs: root, remote: path.relative(root, absolute).split(path.sep).join("/") };
}
