// The JSON text of a value that depends on the clock only through numbers of the form
// `now - base` (a live run's durations), serialised once and then written out for any `now` by
// filling those numbers in. The numbers are found by serialising at two far-off instants: the
// texts differ exactly where the clock enters, and each such number must move one for one with
// the clock. Anything else (a text of another length, a number moving otherwise) gives no
// template, and the caller serialises as before.

/** Two instants far beyond any real clock, with as many digits as each other (so the texts align). */
const FIRST = 4_000_000_000_000_000;
const SECOND = 5_000_000_000_000_000;

const isDigit = (c: number) => c >= 48 && c <= 57;

export class ClockedJson {
  private constructor(
    /** The text around the moving numbers: one more piece than there are numbers. */
    private readonly pieces: readonly string[],
    /** For each moving number, what it is `now` minus. */
    private readonly bases: readonly number[]
  ) {}

  /**
   * The template of `JSON.stringify(build(now))`, or undefined when the clock enters the text
   * otherwise than as `now - base` numbers. `build` must depend on nothing but `now`.
   */
  static of(build: (now: number) => unknown): ClockedJson | undefined {
    const first = JSON.stringify(build(FIRST));
    const second = JSON.stringify(build(SECOND));
    if (first === undefined || second === undefined || first.length !== second.length) return undefined;
    const pieces: string[] = [];
    const bases: number[] = [];
    let copied = 0;
    for (let i = 0; i < first.length; i++) {
      if (first.charCodeAt(i) === second.charCodeAt(i)) continue;
      // The digits around the first difference make one number in both texts.
      let start = i;
      while (start > copied && isDigit(first.charCodeAt(start - 1))) start--;
      let end = i;
      while (end < first.length && isDigit(first.charCodeAt(end))) end++;
      if (start === end || !isDigit(second.charCodeAt(i))) return undefined;
      const base = FIRST - Number(first.slice(start, end));
      if (Number(second.slice(start, end)) !== SECOND - base) return undefined;
      pieces.push(first.slice(copied, start));
      bases.push(base);
      copied = end;
      i = end - 1;
    }
    pieces.push(first.slice(copied));
    return new ClockedJson(pieces, bases);
  }

  /** The text at `now`. */
  at(now: number): string {
    let text = this.pieces[0]!;
    for (let i = 0; i < this.bases.length; i++) text += String(now - this.bases[i]!) + this.pieces[i + 1]!;
    return text;
  }
}
