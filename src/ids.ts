/** Opaque random ids with a readable prefix: `c_` contact, `r_` run, `m_` message, `d_` decision. */
const ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";

/** A new id: prefix + 20 random base-36 characters (~103 bits). */
export function newId(prefix: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(20));
  let s = "";
  for (const b of bytes) s += ALPHABET[b % 36];
  return `${prefix}_${s}`;
}
