/**
 * `npm run move -- export|import|copy|verify`: copies everything of one flagstack instance to another
 * (a PGlite folder or a PostgreSQL URL at either end), directly or through an export file, and checks
 * the copy. Exit codes: see EXIT.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { copyCommand, exportCommand, importCommand, verifyCommand } from './commands';
import { EXIT, MoveError, reasonOf } from './errors';
import { PAGE_ROWS } from './pages';

const END = 'a PGlite data folder, or a postgres:// URL';

function pageRows(value: string): number {
  const rows = Number(value);
  if (!Number.isInteger(rows) || rows < 1 || rows > 100_000) throw new InvalidArgumentError('a whole number from 1 to 100000');
  return rows;
}

const pageRowsOption = () =>
  new Option('--page-rows <rows>', 'rows per read and per write transaction').argParser(pageRows).default(PAGE_ROWS);

function program(setExitCode: (code: number) => void): Command {
  const root = new Command('move')
    .description('Copy everything of one flagstack instance to another, and check the copy.')
    .exitOverride()
    .showHelpAfterError('(add --help for usage)');
  root
    .command('copy')
    .description('copy every row from one instance to another, then verify')
    .requiredOption('--from <end>', `the source: ${END}`)
    .requiredOption('--to <end>', `the target: ${END}; created and migrated when new`)
    .option('--force', 'replace everything in a target that holds other rows', false)
    .addOption(pageRowsOption())
    .action(async (options: { from: string; to: string; force: boolean; pageRows: number }) =>
      setExitCode(await copyCommand(options.from, options.to, options)),
    );
  root
    .command('export')
    .description('write every row of an instance to an NDJSON file (gzip when it ends in .gz)')
    .requiredOption('--from <end>', `the source: ${END}`)
    .requiredOption('--out <file>', 'the export file')
    .addOption(pageRowsOption())
    .action(async (options: { from: string; out: string; pageRows: number }) =>
      setExitCode(await exportCommand(options.from, options.out, options.pageRows)),
    );
  root
    .command('import')
    .description('write an export file into an instance, then verify')
    .requiredOption('--in <file>', 'the export file')
    .requiredOption('--to <end>', `the target: ${END}; created and migrated when new`)
    .option('--force', 'replace everything in a target that holds other rows', false)
    .addOption(pageRowsOption())
    .action(async (options: { in: string; to: string; force: boolean; pageRows: number }) =>
      setExitCode(await importCommand(options.in, options.to, options)),
    );
  root
    .command('verify')
    .description('compare the row counts and checksums of two instances')
    .requiredOption('--from <end>', `the source: ${END}`)
    .requiredOption('--to <end>', `the target: ${END}`)
    .action(async (options: { from: string; to: string }) => setExitCode(await verifyCommand(options.from, options.to)));
  for (const command of root.commands) command.exitOverride().showHelpAfterError('(add --help for usage)');
  return root;
}

async function main(): Promise<number> {
  let exitCode: number = EXIT.ok;
  try {
    await program((code) => (exitCode = code)).parseAsync(process.argv);
    return exitCode;
  } catch (error) {
    // Commander has printed its own message (or the help) already.
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.refused;
    if (error instanceof MoveError) {
      process.stderr.write(`move: ${error.message}\n`);
      return error.exitCode;
    }
    process.stderr.write(`move: stopped: ${reasonOf(error)} (running the same command again resumes)\n`);
    return EXIT.failed;
  }
}

void main().then((code) => {
  process.exitCode = code;
});
