/**
 * Link rewriting, pure: `[link https://…]` markup and plain URLs become `<base>/<code>`, each
 * destination tagged with UTM parameters (existing query and fragment kept).
 */
import type { LinkSettings } from "./settings";

const MARKUP = /\[link\s+(https?:\/\/[^\s\]]+)\s*\]/g;
const PLAIN = /\bhttps?:\/\/[^\s<>"]+[^\s<>".,;:!?)\]']/g;
const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** A random code of `length` base-62 characters (62^10 ≈ 8·10^17: not guessable). */
export function linkCode(length = 10): string {
  // Rejection sampling keeps every character equally likely.
  let out = "";
  while (out.length < length) {
    for (const b of crypto.getRandomValues(new Uint8Array(length * 2))) {
      if (b < 248 && out.length < length) out += BASE62[b % 62];
    }
  }
  return out;
}

/** `url` with the UTM parameters added (ones it already carries are kept), query and fragment preserved. */
export function withUtm(url: string, s: LinkSettings, campaign: string, content: string): string {
  if (!s.utm.enabled) return url;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return url;
  }
  const n = s.utm.names;
  for (const [k, v] of [[n.source, s.utm.source], [n.medium, s.utm.medium], [n.campaign, campaign], [n.content, content]] as const) {
    if (!u.searchParams.has(k)) u.searchParams.append(k, v);
  }
  return u.toString();
}

/** One rewritten link: its code, where it goes (with UTM), and the URL as written. */
export interface ShortLink {
  code: string;
  url: string;
  original: string;
}

/**
 * Rewrite every link in `text`. `codes` holds codes already given to this message's URLs (so a
 * retried message keeps its links); new ones are drawn at random.
 */
export function rewriteLinks(
  text: string,
  s: LinkSettings,
  tags: { campaign: string; content: string },
  codes: Record<string, string> = {},
): { text: string; links: ShortLink[] } {
  const links: ShortLink[] = [];
  const base = s.base.replace(/\/+$/, "");
  const shorten = (original: string) => {
    // A link already pointing at our base stays as it is.
    if (original.startsWith(`${base}/`)) return original;
    const code = codes[original] ?? linkCode();
    codes[original] = code;
    if (!links.some((l) => l.code === code)) links.push({ code, original, url: withUtm(original, s, tags.campaign, tags.content) });
    return `${base}/${code}`;
  };
  const out = text.replace(MARKUP, (_m, url: string) => shorten(url)).replace(PLAIN, (url) => shorten(url));
  return { text: out, links };
}
