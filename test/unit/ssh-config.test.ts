import { mkdtempSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseJump, sshConfigFor } from '../../src/core/connection/ssh-config.ts';

describe('~/.ssh/config', () => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'scaleup-sshcfg-')), 'config');
  writeFileSync(file, `Host web-*\n  HostName 10.1.0.5\n  IdentityFile ~/.ssh/web_key\n  ProxyJump ops@bastion.example:2222\n\nHost *\n  ServerAliveInterval 30\n`);

  it('resolves HostName, IdentityFile and ProxyJump for a matching alias', () => {
    expect(sshConfigFor('web-01', file)).toEqual({
      hostName: '10.1.0.5', identityFile: path.join(homedir(), '.ssh/web_key'), proxyJump: 'ops@bastion.example:2222',
    });
    expect(sshConfigFor('db-01', file)).toEqual({ hostName: undefined, identityFile: undefined, proxyJump: undefined });
    expect(sshConfigFor('x', path.join(tmpdir(), 'no-such-config'))).toEqual({});
  });

  it('parses jump specs', () => {
    expect(parseJump('ops@bastion:2222')).toEqual({ user: 'ops', host: 'bastion', port: 2222 });
    expect(parseJump('bastion')).toEqual({ user: undefined, host: 'bastion', port: 22 });
  });
});
