// Obviously fake pool keys in the real key format (AIza + 35 characters).

/** A fake key `AIzaFAKE…<tag>`: the tag ends the key, so masked forms (`AIza…last4`) differ. */
export function fakeKey(tag) {
  const body = `FAKE${"x".repeat(35 - 4 - tag.length)}${tag}`;
  if (body.length !== 35) throw new Error(`tag too long: ${tag}`);
  return `AIza${body}`;
}
