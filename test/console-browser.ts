// A browser of one for console tests through the Worker: keeps the /console cookies, follows no redirect.
import { exports } from "cloudflare:workers";

/** Where console tests send their requests. */
export const BASE = "http://tidings.test";

/** A browser of one: keeps cookies for /console, follows nothing. */
export class Browser {
  cookies = new Map<string, string>();
  async fetch(path: string, init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {}) {
    const headers: Record<string, string> = { ...init.headers };
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    if (init.form) headers["content-type"] = "application/x-www-form-urlencoded";
    const res = await exports.default.fetch(BASE + path, { method: init.method ?? (init.form ? "POST" : "GET"), headers, body: init.form ? new URLSearchParams(init.form) : undefined, redirect: "manual" });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(";");
      const [k, v] = pair!.split("=");
      if (/max-age=0/i.test(c) || v === "") this.cookies.delete(k!);
      else this.cookies.set(k!, v!);
    }
    return { status: res.status, location: res.headers.get("location"), setCookie: res.headers.getSetCookie(), html: await res.text() };
  }
  /** The CSRF token a page's forms carry. */
  async token(path = "/console"): Promise<string> {
    const page = await this.fetch(path);
    const m = /name="_csrf" value="([^"]+)"/.exec(page.html);
    if (!m) throw new Error(`no CSRF token on ${path} (${page.status})`);
    return m[1]!;
  }
  async signIn(key: string) {
    const login = await this.fetch("/console/login");
    const csrf = /name="_csrf" value="([^"]+)"/.exec(login.html)![1]!;
    return this.fetch("/console/login", { form: { _csrf: csrf, key, next: "/console" } });
  }
  async post(path: string, form: Record<string, string>, from = "/console") {
    return this.fetch(path, { form: { _csrf: await this.token(from), ...form } });
  }
}

