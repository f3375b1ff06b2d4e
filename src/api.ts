// scaleup's public API: what a role imports (`import { defineRole, file } from 'scaleup'`). The roles
// scaleup ships use nothing else, so each is an example a user can copy. Anything not exported here
// is internal and may change between versions.
export { defineRole } from './core/role.ts';
export type { LogSource, Preparation, PrepareContext, Role, RoleContext, RoleDeclaration, RoleHome, ValidateContext, VariableFault, VarsOf } from './core/role.ts';
// A role's variables are a zod object (`variables: z.object({ … })`); `vars` has the common shapes.
export * as z from 'zod';
export { vars } from './core/role-variables.ts';
export { pkg, file, service, sysctl, user, command, archive } from './core/steps/index.ts';
export type { Change, ExecResult, Handler, ProbeOutput, Remote, SharedProbe, SharedProbeKind, Step, StepContext } from './core/steps/step.ts';
export { probeFields } from './core/steps/probe-output.ts';
export { hostsInGroup } from './core/host-groups.ts';
export { InventoryError, StepError, ValidationError } from './core/errors.ts';
export { Secret } from './core/secret.ts';
export { readPrivateFile } from './core/private-file.ts';
export { quote, shellJoin } from './core/quote.ts';
export type { Host, Inventory, Vars, VarValue } from './core/model.ts';
export type { Facts } from './core/facts/facts.ts';
// TLS certificates from an ACME server (RFC 8555), issued on the control node: see src/acme/.
export { issueCertificate, createAcmeAccountKey, needsIssue, describeIssueReason, certificateNotAfter, AcmeError } from './acme/index.ts';
export type { IssueRequest, IssuedCertificate, IssueReason, AcmeProblem } from './acme/index.ts';
