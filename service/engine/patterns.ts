/**
 * REGEX conditions, matched in time linear in the text by RE2 (re2js, pure JavaScript, so the edge
 * bundles it too). Flagsmith's engines use JavaScript's backtracking RegExp, where `^(a+)+$` against
 * 'aaaa…!' takes time exponential in the text: from the public client key, one trait value would stall
 * the process for seconds. The two syntaxes overlap but are not equal (RE2 has no look-around or
 * back-references; JavaScript has no `(?i)` or `\pN`), so a pattern counts only when both accept it:
 * then it matches what Flagsmith's would, and one that Flagsmith would refuse never matches here either.
 */
import { RE2JS } from 're2js';

/** A compiled pattern: `test` finds it anywhere in the text (unanchored, as RegExp.test). */
export interface Pattern {
  test(text: string): boolean;
}

/** Why a REGEX condition's pattern cannot be used, or undefined when it can. */
export function patternProblem(pattern: string): string | undefined {
  const compiled = compilePattern(pattern);
  return 'problem' in compiled ? compiled.problem : undefined;
}

/** The pattern compiled by RE2, or why it cannot be (JavaScript's RegExp refuses it, or RE2 does). */
export function compilePattern(pattern: string): Pattern | { problem: string } {
  try {
    new RegExp(pattern);
  } catch (error) {
    return { problem: `not a JavaScript regular expression (${(error as Error).message})` };
  }
  try {
    return RE2JS.compile(pattern);
  } catch (error) {
    // re2js's messages read "error parsing regexp: invalid or unsupported Perl syntax: `(?=`".
    return { problem: `not supported by the linear-time matcher, RE2 (${(error as Error).message.replace(/^error parsing regexp: /, '')})` };
  }
}
