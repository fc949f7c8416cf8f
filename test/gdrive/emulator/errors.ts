// Errors in the shape Google's APIs send them ({error: {code, message, errors: [...], status}}), so the
// provider's error translation is tested against what Drive really returns, not against a simplification.
import type { ServerResponse } from "node:http";

export interface GoogleErrorItem {
  domain: string;
  reason: string;
  message: string;
  location?: string;
  locationType?: string;
}

/** Thrown inside a handler; the server turns it into a Google JSON error response. */
export class DriveApiError extends Error {
  constructor(
    readonly code: number,
    readonly status: string,
    readonly errors: GoogleErrorItem[],
    message?: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message ?? errors[0]?.message ?? status);
  }
}

export function notFound(fileId: string): DriveApiError {
  const message = `File not found: ${fileId}.`;
  return new DriveApiError(404, "NOT_FOUND", [
    { domain: "global", reason: "notFound", message, location: "fileId", locationType: "parameter" },
  ]);
}

export function invalid(message: string, location?: string): DriveApiError {
  const item: GoogleErrorItem = { domain: "global", reason: "invalid", message };
  if (location !== undefined) Object.assign(item, { location, locationType: "parameter" });
  return new DriveApiError(400, "INVALID_ARGUMENT", [item]);
}

export function badRequest(message: string): DriveApiError {
  return new DriveApiError(400, "INVALID_ARGUMENT", [{ domain: "global", reason: "badRequest", message }]);
}

export function insufficientPermissions(): DriveApiError {
  const message = "The user does not have sufficient permissions for this file.";
  return new DriveApiError(403, "PERMISSION_DENIED", [
    { domain: "global", reason: "insufficientPermissions", message },
  ]);
}

export function unauthenticated(): DriveApiError {
  return new DriveApiError(
    401,
    "UNAUTHENTICATED",
    [
      {
        domain: "global",
        reason: "authError",
        message: "Invalid Credentials",
        location: "Authorization",
        locationType: "header",
      },
    ],
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.",
  );
}

/** Drive's two rate-limit answers: 403 userRateLimitExceeded and 429 rateLimitExceeded (RESOURCE_EXHAUSTED). */
export function rateLimited(kind: "403" | "429", retryAfterS?: number): DriveApiError {
  const headers: Record<string, string> =
    retryAfterS === undefined ? {} : { "retry-after": String(retryAfterS) };
  if (kind === "403") {
    const message = "User rate limit exceeded.";
    return new DriveApiError(
      403,
      "PERMISSION_DENIED",
      [{ domain: "usageLimits", reason: "userRateLimitExceeded", message }],
      message,
      headers,
    );
  }
  const message = "Rate limit exceeded.";
  return new DriveApiError(
    429,
    "RESOURCE_EXHAUSTED",
    [{ domain: "usageLimits", reason: "rateLimitExceeded", message }],
    message,
    headers,
  );
}

export function sendError(res: ServerResponse, err: DriveApiError): void {
  const body = JSON.stringify({
    error: { code: err.code, message: err.message, errors: err.errors, status: err.status },
  });
  res.writeHead(err.code, {
    "content-type": "application/json; charset=UTF-8",
    "content-length": Buffer.byteLength(body),
    ...err.headers,
  });
  res.end(body);
}
