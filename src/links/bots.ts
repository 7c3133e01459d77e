/**
 * Link previews and scanners are not people: messaging apps fetch a link to draw a preview, and
 * mail/security gateways open links to scan them. Such hits are recorded as `preview`, not `click`.
 */

// Matched case-insensitively against the whole User-Agent. Real phone browsers (Mobile Safari,
// Chrome, Samsung Internet, Firefox) match none of these.
const BOT_PATTERNS = [
  /facebookexternalhit/i, /facebot/i, /twitterbot/i, /slackbot/i, /slack-imgproxy/i, /whatsapp/i, /telegrambot/i,
  /discordbot/i, /linkedinbot/i, /skypeuripreview/i, /applebot/i, /googlebot/i, /google-inspectiontool/i, /bingbot/i,
  /bingpreview/i, /yandex/i, /baiduspider/i, /duckduckbot/i, /pinterest/i, /redditbot/i, /embedly/i, /iframely/i,
  /vkshare/i, /viber/i, /snapchat/i, /line\//i, /kakaotalk-scrap/i, /google-pagerenderer|google \(\+https/i,
  /headlesschrome/i, /phantomjs/i, /python-requests/i, /python-urllib/i, /aiohttp/i, /go-http-client/i, /^curl\//i,
  /^wget/i, /okhttp/i, /java\//i, /libwww-perl/i, /httpclient/i, /axios/i, /node-fetch/i, /undici/i,
  /barracuda/i, /proofpoint/i, /mimecast/i, /symantec/i, /trendmicro|trend micro/i, /sophos/i, /fortinet|fortiguard/i,
  /urlscan/i, /virustotal/i, /safebrowsing/i, /zscaler/i, /paloalto/i, /cisco/i,
  /\bbot\b|bot\/|crawler|spider|scanner|preview|fetcher|monitor/i,
];

/** Why a hit is a preview rather than a person's click, or undefined for a click. */
export function previewReason(method: string, userAgent: string | undefined): string | undefined {
  if (method === "HEAD") return "head_request";
  if (!userAgent || !userAgent.trim()) return "no_user_agent";
  return BOT_PATTERNS.some((p) => p.test(userAgent)) ? "bot_user_agent" : undefined;
}

/** A hit within this long after delivery is a device or carrier fetching the link, not a person. */
export const DELIVERY_PREVIEW_MS = 1_000;
