/** `GET /v1/keywords/{word}/link`: a join keyword's tap-to-text link, for pages, emails and print. */
import { z } from "@hono/zod-openapi";
import { toE164 } from "../contacts/identity";
import { normalizeKeyword } from "../conversation/keywords";
import { PROBLEMS, newApp, route } from "../http/app";
import { badFields, problem } from "../http/problem";
import { getConfig } from "../settings/config";
import { smsUri } from "./keyword-link";

/** List-growth routes (mounted under /v1). */
export const growthRoutes = newApp();

growthRoutes.openapi(
  route("read", {
    method: "get",
    path: "/keywords/{word}/link",
    tags: ["Consent"],
    summary: "A join keyword's tap-to-text link (an sms: URI with the keyword as the body)",
    request: {
      params: z.object({ word: z.string().regex(/^[\p{L}\p{N}]{2,20}$/u, "one word, letters or digits").openapi({ example: "JOIN" }) }),
      query: z.object({
        to: z.string().max(40).optional().openapi({ description: "The number to text (E.164) or a sender id; default: the keyword's own number, else the Twilio sending number" }),
      }),
    },
    responses: { 200: { description: "The link" }, 404: { description: "Not a join keyword" }, ...PROBLEMS },
  }),
  async (c) => {
    const { word } = c.req.valid("param");
    const { to: asked } = c.req.valid("query");
    const settings = (await getConfig(c.env.DB)).settings;
    const join = settings.keywords.join.find((j) => normalizeKeyword(j.word) === normalizeKeyword(word));
    if (!join) return problem(404, "Not a join keyword", `${word} is not in settings.keywords.join`);
    const senders = new Map(settings.senders.senders.map((s) => [s.id, s.from]));
    const fromSender = (x: string | undefined) => (x && senders.has(x) ? senders.get(x) : x);
    const candidate = fromSender(asked) ?? fromSender(join.on[0]) ?? settings.gateway.twilio.from;
    const to = candidate ? toE164(candidate) : undefined;
    if (!to) return badFields([{ field: "query.to", message: asked ? "an E.164 number or a sender id with a number" : "give the number to text: this keyword has none, and no Twilio sending number is set" }]);
    if (join.on.length && !join.on.some((n) => n === to || senders.get(n) === to)) {
      return badFields([{ field: "query.to", message: `${join.word} answers only on ${join.on.join(", ")}` }]);
    }
    const upper = join.word.toUpperCase();
    return c.json({ word: upper, purpose: join.purpose, to, uri: smsUri(to, upper), qrSvg: null, note: "QR codes need a QR library (not installed yet)" }, 200);
  },
);
