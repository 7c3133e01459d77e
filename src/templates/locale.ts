/**
 * Locale variants: a template may carry `locales: { "fr": "...", "fr-CA": "..." }`. A contact's
 * `locale` trait picks the most specific variant: "fr-CA" tries fr-CA, then fr, then the default body.
 * Tags match without regard to case, and "fr_CA" (as many apps write it) means "fr-CA". Pure.
 */

/** zod-free check of a locale tag as templates accept it: a language, then optional subtags ("pl", "fr-CA", "zh-Hant-TW"). */
export const LOCALE_TAG = /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$/;

/** The tags to try for a wanted locale, most specific first ("fr_CA" → ["fr-ca", "fr"]); [] when it is not a tag. */
export function localeChain(wanted: unknown): string[] {
  if (typeof wanted !== "string") return [];
  const tag = wanted.trim().replace(/_/g, "-");
  if (!LOCALE_TAG.test(tag)) return [];
  const parts = tag.toLowerCase().split("-");
  return parts.map((_, i) => parts.slice(0, parts.length - i).join("-"));
}

/** The variant key to use for a wanted locale, as written in `locales`, or undefined for the default body. */
export function chooseLocale(locales: Readonly<Record<string, string>> | undefined, wanted: unknown): string | undefined {
  if (!locales) return undefined;
  const byTag = new Map(Object.keys(locales).map((k) => [k.toLowerCase().replace(/_/g, "-"), k]));
  for (const tag of localeChain(wanted)) {
    const key = byTag.get(tag);
    if (key !== undefined) return key;
  }
  return undefined;
}

/** The body to render for a wanted locale and the variant it came from (null: the default body). */
export function localizedBody(tpl: { body: string; locales?: Readonly<Record<string, string>> }, wanted: unknown): { locale: string | null; body: string } {
  const key = chooseLocale(tpl.locales, wanted);
  return key === undefined ? { locale: null, body: tpl.body } : { locale: key, body: tpl.locales![key]! };
}
