/**
 * Where the sftp provider reports weakened host key checking (trust on first
 * use, or off): a small registry in the provider layer. The logger knows no
 * provider; the CLI (lib/cli/main.ts) points this at the command's logger.
 * Apart from the provider so that wiring it does not load ssh2.
 */
export type SftpWarning = (message: string) => void;

let handler: SftpWarning = (message) => process.emitWarning(message, "SitesyncSftp");

export function onSftpWarning(next: SftpWarning): void {
  handler = next;
}

export function sftpWarn(message: string): void {
  handler(message);
}
