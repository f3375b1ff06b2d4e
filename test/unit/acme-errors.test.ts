// What an ACME server sends back is untrusted text: a failure shows its problem document escaped.
import { describe, expect, test } from 'vitest';
import { problemIn } from '../../src/acme/acme-transport.ts';
import { AcmeError, describeProblem } from '../../src/acme/errors.ts';

describe('ACME problem documents', () => {
  test('found in an error response, in an invalid challenge, and in an invalid authorization\'s challenge', () => {
    const problem = { type: 'urn:ietf:params:acme:error:rejectedIdentifier', detail: 'no' };
    expect(problemIn({ status: 400, data: problem })).toEqual(problem);
    expect(problemIn({ status: 200, data: { status: 'invalid', error: problem } })).toEqual(problem);
    expect(problemIn({ status: 200, data: { status: 'invalid', challenges: [{ type: 'dns-01' }, { type: 'http-01', error: problem }] } })).toEqual(problem);
    expect(problemIn({ status: 200, data: { status: 'pending' } })).toBeUndefined();
    expect(problemIn({ status: 500, data: '<html>' })).toBeUndefined();
  });

  test('shown on one line with control and format characters escaped, subproblems named by identifier', () => {
    const line = describeProblem({
      type: 'urn:ietf:params:acme:error:compound',
      detail: 'two\nlines \u001b[2Jcleared',
      subproblems: [{ identifier: { value: 'a.example' }, detail: 'bad \u202eevil' }],
    });
    expect(line).toBe('urn:ietf:params:acme:error:compound: two\\nlines \\x1b[2Jcleared (a.example: bad \\u{202e}evil)');
    const err = new AcmeError('https://acme.example/dir', `placing the order: ${line}`);
    expect(err.message).toBe(`ACME server https://acme.example/dir: placing the order: ${line}`);
    expect(err.name).toBe('AcmeError');
  });
});
