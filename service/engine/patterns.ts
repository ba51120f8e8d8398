/**
 * REGEX conditions, matched in time linear in the text by RE2 (re2js, pure JavaScript, so the edge
 * bundles it too). Flagsmith's engines use JavaScript's backtracking RegExp, where `^(a+)+$` against
 * 'aaaa…!' takes time exponential in the text: from the public client key, one trait value would stall
 * the process for seconds. The two syntaxes overlap but are not equal (RE2 has no look-around or
 * back-references; JavaScript has no `(?i)` or `\pN`, and reads `\pN`, `\z` or `\x{41}` as plain letters
 * where RE2 reads classes, anchors and code points), so a pattern counts only when both accept it and
 * it uses no escape or class that the two read differently: then it matches what Flagsmith's would.
 * What still differs is documented in docs/security.md: `\s` and `.` on rare Unicode spaces and line
 * separators, and characters outside the Basic Multilingual Plane, which RE2 counts as one.
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
  const divergent = divergentSyntax(pattern);
  if (divergent) return { problem: divergent };
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

/** Escapes that mean the same to both: classes, whitespace, and escaped punctuation. */
const SHARED_ESCAPES = new Set('dDwWsSbBtnrfv\\^$.|?*+()[]{}/-');

/** Syntax both accept but read differently, described; undefined when there is none. */
function divergentSyntax(pattern: string): string | undefined {
  if (pattern.includes('[[:')) return 'POSIX classes such as [[:alpha:]] mean different things to RE2 and to JavaScript';
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i] !== '\\') continue;
    const escaped = pattern[++i];
    if (escaped === 'x' && /^[0-9A-Fa-f]{2}$/.test(pattern.slice(i + 1, i + 3))) continue;
    if (escaped === undefined || !SHARED_ESCAPES.has(escaped)) {
      return `the escape \\${escaped ?? ''} means different things to RE2 and to JavaScript (or to one of them nothing): write the character or class another way`;
    }
  }
  return undefined;
}
