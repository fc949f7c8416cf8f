/**
 * Where the sftp provider reports weakened host key checking (trust on first
 * use, or off). The CLI points it at its logger; it lives apart from the
 * provider so the logger does not load the provider.
 */
export type SftpWarning = (message: string) => void;

let handler: SftpWarning = (message) => process.emitWarning(message, "SitesyncSftp");

export function onSftpWarning(next: SftpWarning): void {
  handler = next;
}

export function sftpWarn(message: string): void {
  handler(message);
}
