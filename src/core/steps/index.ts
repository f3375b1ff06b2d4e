// The built-in step kinds, grouped the way roles use them: pkg.installed(), file.template(), …
export * as pkg from './pkg.ts';
export * as file from './file.ts';
export * as service from './service.ts';
export * as sysctl from './sysctl.ts';
export * as user from './user.ts';
export * as command from './command.ts';
export * as archive from './archive.ts';
export type { Change, Handler, ProbeOutput, Remote, Step, StepContext } from './step.ts';
