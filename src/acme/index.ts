// The ACME client a role calls from the control node (re-exported by the public API).
export { issueCertificate, createAcmeAccountKey, checkIssueRequest } from './issue-certificate.ts';
export type { IssueRequest, IssuedCertificate } from './issue-certificate.ts';
export { needsIssue, describeIssueReason, certificateNotAfter } from './needs-issue.ts';
export type { IssueReason } from './needs-issue.ts';
export { AcmeError } from './errors.ts';
export type { AcmeProblem } from './errors.ts';
