import { randomUUID } from "node:crypto";

/** AYON entity ids: 32 lowercase hex characters without dashes. */
export function newId(): string {
  return randomUUID().replaceAll("-", "");
}

export const ENTITY_ID = /^[0-9a-f]{32}$/;
