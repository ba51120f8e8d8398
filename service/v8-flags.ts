/**
 * Setting V8 flags from inside a process, each unless node's command line named it: a choice made
 * there, either way, wins (`node --allocation-site-pretenuring …`, `node --no-liftoff-only …`). Node
 * calls flags set after start-up unpredictable in general; each caller says why its flags take effect
 * and has a test that checks it.
 */
import { setFlagsFromString } from 'node:v8';

/** A flag's name as V8 matches it: without dashes, `no` or a value, `_` read as `-`. */
const nameOf = (flag: string): string => flag.replace(/^--/, '').replace(/=.*$/, '').replace(/_/g, '-');

/** Whether `arg` (from node's command line) sets the flag called `name`, on or off. */
const names = (arg: string, name: string): boolean => {
  if (!arg.startsWith('--')) return false;
  const given = nameOf(arg);
  return given === name || given === `no-${name}` || given === `no${name}`;
};

/** Sets each of `flags` (`--liftoff-only`, `--semi-space-growth-factor=1`) that `execArgv` does not name; returns those set. */
export function setFlagsUnlessChosen(flags: readonly string[], execArgv: readonly string[]): string[] {
  const set = flags.filter((flag) => {
    const name = nameOf(flag).replace(/^no-/, '');
    return !execArgv.some((arg) => names(arg, name));
  });
  for (const flag of set) setFlagsFromString(flag);
  return set;
}
