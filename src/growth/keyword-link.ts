/** Tap-to-text: an `sms:` URI that opens the phone's messages app with a keyword ready to send. Pure. */

/**
 * The tap-to-text URI for texting `word` to `to`: `sms:<number>?&body=<word>`. The `?&` form is the
 * one both platforms read: iOS takes the body after `&`, Android after `?` (it ignores the empty
 * first parameter). The number keeps its `+`; the body is percent-encoded.
 */
export function smsUri(to: string, word: string): string {
  return `sms:${to}?&body=${encodeURIComponent(word)}`;
}
