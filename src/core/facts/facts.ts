/** Facts gathered once per host, in one round trip, before its roles run. */
export interface Facts {
  /** `ID` from /etc/os-release, e.g. `debian`, `ubuntu`. */
  osId: string;
  /** `VERSION_ID`, e.g. `12`. */
  osVersion: string;
  /** `VERSION_CODENAME`, e.g. `bookworm`. */
  osCodename: string;
  /** What runs as PID 1: systemd, or anything else (sysv scripts via `service`). */
  initSystem: 'systemd' | 'sysv';
  packageManager: 'apt' | 'unknown';
  /** `uname -m`, e.g. `x86_64`. */
  architecture: string;
  hostname: string;
  /** IPv4 addresses by interface name (loopback excluded), e.g. { eth0: ['10.77.0.21/24'] }. */
  interfaces: Record<string, string[]>;
  /**
   * sshd's SSH_CONNECTION for the run's session (`client port server port`, as the host sees it: after
   * NAT or a jump host), '' when there is none; undefined when the facts could not tell.
   */
  sshConnection?: string;
}
