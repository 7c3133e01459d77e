/** The `signup` settings section: hosted sign-up pages (`/join/<program>`), one per program. */
import { z } from "@hono/zod-openapi";

/** One sign-up program: its page's title, the consent text the person agrees to, and what it grants. */
export const SignupProgram = z
  .object({
    key: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, "a key: lower-case letters, digits, - and _"),
    title: z.string().min(1).max(80),
    /** The consent text shown beside the phone field and recorded as the text agreed to. */
    text: z.string().min(20).max(600),
    purpose: z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, "transactional, marketing or a topic").default("marketing"),
    /** The country a number typed without +country code is read in (ISO 3166-1). */
    country: z.string().regex(/^[A-Z]{2}$/, "an ISO country code").default("US"),
  })
  .strict();
/** A sign-up program. */
export type SignupProgram = z.infer<typeof SignupProgram>;

/** zod schema of the `signup` settings section. */
export const SignupSection = z
  .object({ programs: z.array(SignupProgram).max(20).default([]) })
  .strict()
  .refine((s) => new Set(s.programs.map((p) => p.key)).size === s.programs.length, { message: "program keys must be unique", path: ["programs"] });
