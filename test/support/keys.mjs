// Obviously fake pool keys in the real key format (AIza + 35 characters).

/** A fake key whose body is `FAKE` + tag, padded to the real length. */
export function fakeKey(tag) {
  const body = `FAKE${tag}`.padEnd(35, "x").slice(0, 35);
  return `AIza${body}`;
}
