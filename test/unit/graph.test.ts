// `provision graph`: the topology drawn from an inventory, in Mermaid and Graphviz dot.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readInventory } from '../../src/core/inventory.ts';
import { topology, topologyGraph } from '../../src/cli/commands/graph.ts';

function inventory(yaml: string) {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'scaleup-graph-')), 'site.yml');
  writeFileSync(file, yaml);
  return readInventory(file);
}

const lab = inventory(`
vars: { vip: 10.77.0.100 }
groups:
  lb: { hosts: { lb-01: { address: 10.77.0.11 }, lb-02: { address: 10.77.0.12 } } }
  web: { hosts: { web-01: { address: 10.77.0.21 } } }
  app: { hosts: { app-01: { address: 10.77.0.31 } } }
  db: { hosts: { db-01: { address: 10.77.0.41 } } }
`);

describe('provision graph', () => {
  it('draws clients → VIP → the keepalived pair → web :80 → app :3000 → db :3306 in Mermaid', () => {
    expect(topologyGraph(lab)).toBe(`flowchart LR
  clients(["clients"])
  vip{{"VIP 10.77.0.100"}}
  subgraph tier_lb["lb · HAProxy + keepalived"]
    host_lb_01["lb-01<br/>10.77.0.11"]
    host_lb_02["lb-02<br/>10.77.0.12"]
  end
  subgraph tier_web["web · nginx :80"]
    host_web_01["web-01<br/>10.77.0.21"]
  end
  subgraph tier_app["app · application :3000"]
    host_app_01["app-01<br/>10.77.0.31"]
  end
  subgraph tier_db["db · MySQL :3306"]
    host_db_01["db-01<br/>10.77.0.41"]
  end
  clients -->|":80"| vip
  vip -->|"MASTER"| host_lb_01
  vip -.->|"BACKUP"| host_lb_02
  host_lb_01 -.-|"VRRP"| host_lb_02
  tier_lb -->|":80"| tier_web
  tier_web -->|":3000"| tier_app
  tier_app -->|":3306"| tier_db
`);
  });

  it('draws the same in Graphviz dot, one edge per pair of hosts', () => {
    const dot = topologyGraph(lab, 'dot');
    expect(dot).toMatch(/^digraph scaleup \{\n  rankdir=LR;/);
    expect(dot).toContain('  vip [shape=hexagon, label="VIP\\n10.77.0.100"];');
    expect(dot).toContain('  subgraph cluster_tier_lb {\n    label="lb · HAProxy + keepalived";\n    host_lb_01 [label="lb-01\\n10.77.0.11"];');
    expect(dot).toContain('  clients -> vip [label=":80"];');
    expect(dot).toContain('  vip -> host_lb_02 [label="BACKUP", style=dashed];');
    expect(dot).toContain('  host_lb_01 -> host_lb_02 [dir=both, style=dotted, label="VRRP"];');
    expect(dot).toContain('  host_lb_01 -> host_web_01 [label=":80"];\n  host_lb_02 -> host_web_01 [label=":80"];');
    expect(dot).toContain('  host_app_01 -> host_db_01 [label=":3306"];');
    expect(dot.trimEnd().endsWith('}')).toBe(true);
    // Balanced braces: a valid graph for `dot`.
    expect(dot.split('{').length).toBe(dot.split('}').length);
  });

  it('takes ports, group names and the keepalived MASTER from the inventory variables', () => {
    const inv = inventory(`
vars: { vip: 10.0.0.100, app_port: 8080, nginx_port: 8081, haproxy_frontend_port: 8000, web_group: front }
groups:
  lb:
    hosts:
      lb-01: { address: 10.0.0.11 }
      lb-02: { address: 10.0.0.12, vars: { keepalived_priority: 200 } }
  front: { hosts: { web-01: { address: 10.0.0.21 }, web-02: { address: 10.0.0.22 } } }
  app: { hosts: { app-01: { address: 10.0.0.31 } } }
  db: { hosts: { db-01: { address: 10.0.0.41 } } }
  monitoring: { hosts: { mon-01: { address: 10.0.0.51 } } }
`);
    const t = topology(inv);
    expect(t.primaryLb).toBe('lb-02');
    expect(t.web?.group).toBe('front');
    const m = topologyGraph(inv);
    expect(m).toContain('clients -->|":8000"| vip');
    expect(m).toContain('vip -->|"MASTER"| host_lb_02');
    expect(m).toContain('tier_lb -->|":8081"| tier_front');
    expect(m).toContain('tier_front -->|":8080"| tier_app');
    expect(m).toContain('subgraph tier_monitoring["monitoring · monitoring"]');
    expect(m).not.toMatch(/tier_monitoring -->|--> tier_monitoring/);
  });

  it('skips a missing tier and works without a VIP', () => {
    const inv = inventory(`
groups:
  web: { hosts: { web-01: { address: 10.0.0.21 } } }
  db: { hosts: { db-01: { address: 10.0.0.41 } } }
`);
    const m = topologyGraph(inv);
    expect(m).not.toContain('vip');
    expect(m).toContain('clients --> tier_web');
    expect(m).toContain('tier_web -->|":3306"| tier_db');
    expect(topologyGraph(inv, 'dot')).toContain('clients -> host_web_01;');
  });
});
