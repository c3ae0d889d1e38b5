/** Invite tokens: 128 random bits from the operating system's CSPRNG, base64url (22 symbols). */
import { createHash, randomBytes } from 'node:crypto';

export const newInviteToken = (): string => randomBytes(16).toString('base64url');

/** What is stored: only the SHA-256 of the token (hex). */
export const hashInviteToken = (token: string): string => createHash('sha256').update(token.trim()).digest('hex');

/** A token as typed or linked: 22 base64url symbols. */
export const INVITE_TOKEN = /^[A-Za-z0-9_-]{22}$/;
