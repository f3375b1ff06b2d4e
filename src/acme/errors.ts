import { ScaleupError } from '../core/errors.ts';
import { safeHostLine } from '../core/host-text.ts';

/** An RFC 8555 problem document (RFC 7807) as the ACME server sent it; its text is untrusted. */
export interface AcmeProblem {
  /** e.g. `urn:ietf:params:acme:error:unauthorized` */
  type?: string;
  detail?: string;
  /** Per-identifier problems of a failed order (RFC 8555 §6.7.1). */
  subproblems?: { type?: string; detail?: string; identifier?: { value?: string } }[];
}

/**
 * Issuing a certificate failed: bad input, an ACME server that cannot be reached or trusted, or a
 * problem the server reported. The message says which server and at which stage; the server's own
 * words (type and detail of its problem document) are escaped, since they come from outside.
 * No key ever reaches a message.
 */
export class AcmeError extends ScaleupError {
  constructor(
    /** The ACME directory URL the client was talking to. */
    readonly directoryUrl: string,
    /** What went wrong, already safe to show. */
    readonly reason: string,
    /** The server's problem document, when it sent one. */
    readonly problem?: AcmeProblem,
  ) {
    super(`ACME server ${directoryUrl}: ${reason}`);
  }
}

/** One line saying what the server reported: `type: detail (identifier: detail; …)`, escaped. */
export function describeProblem(problem: AcmeProblem): string {
  const type = problem.type ? safeHostLine(problem.type) : 'problem';
  const head = problem.detail ? `${type}: ${safeHostLine(problem.detail)}` : type;
  const subs = (problem.subproblems ?? [])
    .map((s) => `${safeHostLine(s.identifier?.value ?? '?')}: ${safeHostLine(s.detail ?? s.type ?? '')}`)
    .join('; ');
  return subs ? `${head} (${subs})` : head;
}
