/**
 * `npm run move -- export|import|copy|verify`: copies everything of one flagstack instance to another
 * (a PGlite folder or a PostgreSQL URL at either end), directly or through an export file, and checks
 * the copy. `npm run move -- live|status|cut-over|abandon`: a live move, run by the source service
 * while it keeps serving (service/move/live.ts). Exit codes: see EXIT.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { copyCommand, exportCommand, importCommand, verifyCommand } from './commands';
import { setFlagsUnlessChosen } from '../v8-flags';
import { EXIT, MoveError, reasonOf } from './errors';
import { abandonCommand, cutOverCommand, liveCommand, statusCommand, type SourceService } from './live-commands';
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
  addLiveCommands(root, setExitCode);
  for (const command of root.commands) command.exitOverride().showHelpAfterError('(add --help for usage)');
  return root;
}

/** An http(s) URL, for commander. */
function serviceUrl(value: string): string {
  if (!/^https?:\/\/\S+$/.test(value)) throw new InvalidArgumentError('an http:// or https:// URL');
  return value;
}

/** The live move's commands: each talks to the source service's admin API. */
function addLiveCommands(root: Command, setExitCode: (code: number) => void): void {
  const withService = (command: Command) =>
    command
      .requiredOption('--source-service <url>', 'the source service (the stage moved from), as this machine reaches it', serviceUrl)
      .addOption(
        new Option('--admin-token <token>', 'an admin token of the source service (or FLAGSTACK_ADMIN_TOKEN)')
          .env('FLAGSTACK_ADMIN_TOKEN')
          .makeOptionMandatory(),
      );
  const serviceOf = (options: { sourceService: string; adminToken: string }): SourceService => ({
    url: options.sourceService,
    adminToken: options.adminToken,
  });
  withService(root.command('live'))
    .description('start a live move: copy, verify and keep the target level with the source until the cut-over')
    .addOption(
      new Option('--to <url>', "the target's PostgreSQL URL (the next stage's database), as the source service reaches it")
        .env('FLAGSTACK_MOVE_TARGET_URL')
        .makeOptionMandatory(),
    )
    .requiredOption('--target-endpoint <url>', "the target's service, named in the source's answers once moved", serviceUrl)
    .requiredOption(
      '--source-endpoint <url>',
      "the source service as the target's service reaches it: not a name whose traffic is being shifted (a replica's writes must reach the source itself)",
      serviceUrl,
    )
    .action(async (options: { sourceService: string; adminToken: string; to: string; targetEndpoint: string; sourceEndpoint: string }) => {
      if (!/^postgres(ql)?:\/\//.test(options.to))
        throw new MoveError('--to: a postgres:// or postgresql:// URL (a live move goes to a PostgreSQL database)');
      setExitCode(
        await liveCommand(serviceOf(options), {
          to: options.to,
          targetEndpoint: options.targetEndpoint,
          sourceEndpoint: options.sourceEndpoint,
        }),
      );
    });
  withService(root.command('status'))
    .description("the live move's progress")
    .action(async (options: { sourceService: string; adminToken: string }) => setExitCode(await statusCommand(serviceOf(options))));
  withService(root.command('cut-over'))
    .description('cut over: pause writes, apply the last changes, make the target the primary and the source read-only')
    .action(async (options: { sourceService: string; adminToken: string }) => setExitCode(await cutOverCommand(serviceOf(options))));
  withService(root.command('abandon'))
    .description('abandon the live move: the source stops capturing changes and keeps taking writes')
    .action(async (options: { sourceService: string; adminToken: string }) => setExitCode(await abandonCommand(serviceOf(options))));
}

/**
 * V8 settings that bound the mover's memory (docs/moves.md, "Memory and speed"), each unless node's
 * command line chose it (`node --no-liftoff-only dist/service/move.js …`):
 *
 * - PGlite's WebAssembly stays on V8's baseline compiler, Liftoff: optimising Postgres's hot functions
 *   with TurboFan as they warm up holds 50 to 90 MB more at the peak. A copy from PGlite is as fast
 *   without it (its speed is the rows' trip through this process and the other end); a copy into
 *   PGlite is slower. Set before the first PGlite end opens, when its module is compiled.
 * - The young generation does not grow past its first size: a copy makes pages of garbage as fast as
 *   it can, which V8 answers by doubling the young generation up to 32 MB, and with a PGlite end the
 *   event loop can go a whole table without a turn, when V8 would shrink it. V8 reads the factor each
 *   time it would grow, so it takes effect when set here; the extra scavenges cost nothing measured.
 *
 * test/move/v8-settings.test.ts checks that both take effect.
 */
const MEMORY_SETTINGS = ['--liftoff-only', '--semi-space-growth-factor=1'];

async function main(): Promise<number> {
  setFlagsUnlessChosen(MEMORY_SETTINGS, process.execArgv);
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
