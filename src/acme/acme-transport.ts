// Every request one ACME client sends, with the trust that client was given and a memory of the last
// problem document the server answered. acme-client sends all its requests through one object per
// client (`client.http`, its HttpClient); its only other hook is the module-wide axios instance
// (`acme.axios.defaults.httpsAgent`), which every client in the process shares. Trusting a private
// ACME server's CA there, or through NODE_TLS_REJECT_UNAUTHORIZED / NODE_EXTRA_CA_CERTS, would trust it
// for everything else too; so the agent is given to this client's requests only.
import type { Agent } from 'node:https';
import type { Client } from 'acme-client';
import type { AcmeProblem } from './errors.ts';

interface AcmeResponse {
  status: number;
  data?: unknown;
}

/** The shape of acme-client's per-client HttpClient that this module relies on (acme-client is pinned). */
interface HttpClientLike {
  request(url: string, method: string, opts?: Record<string, unknown>): Promise<AcmeResponse>;
}

/** No request may hang a run: an ACME server that accepts and never answers fails the request. */
const REQUEST_TIMEOUT_MS = 60_000;

export interface AcmeTransport {
  /** The last problem the server reported (an error response, or an object that turned invalid); cleared by take. */
  takeProblem(): AcmeProblem | undefined;
}

/** Routes `client`'s requests through `agent` (undefined: the system's trust store) and records problems. */
export function instrumentClient(client: Client, agent: Agent | undefined): AcmeTransport {
  const http = (client as unknown as { http?: HttpClientLike }).http;
  if (!http || typeof http.request !== 'function') {
    // Only a changed acme-client gets here: the dependency is pinned, so this is a bug, not the user's input.
    throw new Error('acme-client has no per-client HTTP transport (client.http.request): check the pinned version');
  }
  let problem: AcmeProblem | undefined;
  const send = http.request.bind(http);
  http.request = async (url, method, opts = {}) => {
    const resp = await send(url, method, {
      ...opts,
      timeout: REQUEST_TIMEOUT_MS,
      ...(agent ? { httpsAgent: agent } : {}),
    });
    const found = problemIn(resp);
    if (found) problem = found;
    return resp;
  };
  return {
    takeProblem: () => {
      const p = problem;
      problem = undefined;
      return p;
    },
  };
}

/** A problem document in a response: the body of an error, or the `error` of an invalid order/authz/challenge. */
export function problemIn(resp: AcmeResponse): AcmeProblem | undefined {
  const data = resp.data;
  if (!data || typeof data !== 'object') return undefined;
  const body = data as Record<string, unknown>;
  if (resp.status >= 400 && (typeof body.type === 'string' || typeof body.detail === 'string')) return body as AcmeProblem;
  if (body.status === 'invalid' && body.error && typeof body.error === 'object') return body.error as AcmeProblem;
  if (body.status === 'invalid' && Array.isArray(body.challenges)) {
    const failed = (body.challenges as Record<string, unknown>[]).find((c) => c.error && typeof c.error === 'object');
    if (failed) return failed.error as AcmeProblem;
  }
  return undefined;
}
