// A step acts on the data its decide returned, never on the summary shown to people: the summary
// may be redacted, translated or reworded and the host still gets the right action.
import { describe, expect, it } from 'vitest';
import { pkg, service, user } from '../../src/core/steps/index.ts';
import type { StepContext } from '../../src/core/steps/step.ts';
import { localHost } from '../support/local-role.ts';
import { recordingRemote } from './roles-fixtures.ts';

const ctx = { host: localHost, facts: { initSystem: 'systemd' }, vars: {}, hostsIn: () => [], diff: false } as unknown as StepContext;
const reworded = <C extends { summary: string }>(changes: C[]) => changes.map((c) => ({ ...c, summary: '***' }));

describe('typed changes', () => {
  it('a package step installs the packages its decide found missing', async () => {
    const step = pkg.installed(['nginx', 'curl']);
    const changes = await step.decide({ stdout: 'curl\tii \n', exitCode: 0 }, ctx);
    const remote = recordingRemote();
    await step.apply(remote, reworded(changes), ctx);
    expect(remote.calls.map((c) => c.command).find((c) => c.includes('apt-get') && c.includes('install'))).toMatch(/ nginx$/);
  });

  it('a service step starts and enables as decided', async () => {
    const step = service.running('nginx');
    const changes = await step.decide({ stdout: 'ActiveState=inactive\nUnitFileState=disabled\n', exitCode: 0 }, ctx);
    const remote = recordingRemote();
    await step.apply(remote, reworded(changes), ctx);
    expect(remote.calls.map((c) => c.command)).toEqual([expect.stringMatching(/systemctl start/), expect.stringMatching(/systemctl enable/)]);
  });

  it('a user step creates a missing user', async () => {
    const step = user.present({ name: 'app', system: true });
    const changes = await step.decide({ stdout: 'exists=0\n', exitCode: 0 }, ctx);
    const remote = recordingRemote();
    await step.apply(remote, reworded(changes), ctx);
    expect(remote.calls[0]!.command).toMatch(/^useradd --system/);
  });
});
