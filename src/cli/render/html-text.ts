// Text put into the HTML report: host text made visible first (the engine did so already: this is the
// last line of defence), then every character HTML gives a meaning escaped — in element content and
// in quoted attribute values alike — so a host name, an error or a diff holding `<script>` reads as text.
import { safeHostText } from '../../core/host-text.ts';

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function html(text: string): string {
  return safeHostText(text).replace(/[&<>"']/g, (ch) => ENTITIES[ch]!);
}

/** A duration for people: "840 ms", "3.42 s", "2 min 05 s". */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}
