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

/**
 * The most instructions an accepted pattern may compile to. RE2's time is linear in the text but also
 * grows with the program: `(?:a|aa){1,999}!` (5,000 instructions) takes about 300 ms on a 2,000-character
 * trait. At 500 the slowest found takes about 6 ms; an email or domain pattern compiles to about 15.
 */
export const MAX_PROGRAM_SIZE = 500;

/** The pattern compiled by RE2, or why it cannot be (RegExp or RE2 refuses it, or they would disagree). */
export function compilePattern(pattern: string): Pattern | { problem: string } {
  const divergent = divergentSyntax(pattern);
  if (divergent) return { problem: divergent };
  try {
    new RegExp(pattern);
  } catch (error) {
    return { problem: `not a JavaScript regular expression (${(error as Error).message})` };
  }
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(pattern);
  } catch (error) {
    // re2js's messages read "error parsing regexp: invalid or unsupported Perl syntax: `(?=`".
    return {
      problem: `not supported by the linear-time matcher, RE2 (${(error as Error).message.replace(/^error parsing regexp: /, '')})`,
    };
  }
  if (compiled.programSize() > MAX_PROGRAM_SIZE) {
    return {
      problem: `too large: it compiles to ${compiled.programSize()} instructions, at most ${MAX_PROGRAM_SIZE} are allowed (large counted repeats such as {1,999} cost the most)`,
    };
  }
  return compiled;
}

/** Escapes that mean the same to both: classes, whitespace, and escaped punctuation. */
const SHARED_ESCAPES = new Set('dDwWsSbBtnrfv\\^$.|?*+()[]{}/-');
const DIFFERENT = 'means different things to RE2 and to JavaScript (or to one of them nothing)';
/** `[:alpha:]` inside a class: a POSIX class to RE2, a set of letters to JavaScript. */
const POSIX_CLASS = /^\[:\^?[A-Za-z]+:\]/;

/**
 * Syntax that both accept but read differently, described; undefined when there is none. A scan of the
 * pattern that knows escapes and character classes, which is all the disagreements need.
 */
function divergentSyntax(pattern: string): string | undefined {
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i];
    if (char === '\\') {
      const escaped = pattern[++i];
      if (escaped === 'x' && /^[0-9A-Fa-f]{2}$/.test(pattern.slice(i + 1, i + 3))) continue;
      if (escaped === undefined || !SHARED_ESCAPES.has(escaped))
        return `the escape \\${escaped ?? ''} ${DIFFERENT}: write the character or class another way`;
    } else if (inClass) {
      if (char === ']') inClass = false;
      else if (char === '[' && POSIX_CLASS.test(pattern.slice(i)))
        return `a POSIX class such as [:alpha:] ${DIFFERENT}: use \\d, \\w or a range`;
    } else if (char === '[') {
      inClass = true;
      // RE2 reads a ] first in a class as a member; JavaScript as the end of an empty class.
      const first = pattern[i + 1] === '^' ? i + 2 : i + 1;
      if (pattern[first] === ']') return `a class opening with ] ${DIFFERENT}: write it as \\]`;
    } else if (char === '(' && pattern[i + 1] === '?') {
      // Only non-capturing and named groups read alike; flags and modifiers differ by Node.js version.
      // Look-around ((?=, (?!, (?<=, (?<!) is left to RE2, which refuses it.
      const next = pattern[i + 2];
      const lookaround = next === '=' || next === '!' || (next === '<' && (pattern[i + 3] === '=' || pattern[i + 3] === '!'));
      if (next !== ':' && !lookaround && !(next === '<' && /[A-Za-z_$]/.test(pattern[i + 3] ?? '')))
        return `the group (?${next ?? ''} ${DIFFERENT}: use (?:…) or a named group (?<name>…)`;
    }
  }
  return undefined;
}
