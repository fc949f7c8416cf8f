/**
 * Classifies SFTP failures for the engine: network trouble is worth retrying;
 * permissions, a full disk, authentication and host keys are not.
 */
import { ProviderError } from "../../lib/errors.js";

/** SFTP status codes (draft-ietf-secsh-filexfer): 3 permission denied; 14/15 no space / quota (v5+). */
const PERMANENT_SFTP_CODES = new Set([3, 14, 15]);
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "ERR_NOT_CONNECTED",
]);

export function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  const message = error instanceof Error ? error.message : String(error);
  return (
    (typeof code === "string" && NETWORK_CODES.has(code)) ||
    /no sftp connection|not connected|connection (lost|ended|closed)|socket|timed out|keepalive/i.test(
      message,
    )
  );
}

export function sftpError(error: unknown, action: string, target: string): ProviderError {
  if (error instanceof ProviderError) return error;
  const code = (error as { code?: unknown })?.code;
  const message = error instanceof Error ? error.message.replace(/^[a-zA-Z]+: /, "") : String(error);
  const permanent =
    (typeof code === "number" && PERMANENT_SFTP_CODES.has(code)) ||
    /permission denied|no space|quota|authentication/i.test(message);
  return new ProviderError(`sftp: cannot ${action} ${target}: ${message}`, !permanent, { cause: error });
}
