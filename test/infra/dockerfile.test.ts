// service/Dockerfile without Docker: what it says, checked against package.json and against the build
// context the CDK asset of Flagstack-Fargate really stages (synthesised here, exclude rules applied).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { loadStageConfig } from '../../lib/config';
import { addStage } from '../../lib/stages';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const PGLITE = '@electric-sql/pglite';

interface Instruction {
  readonly keyword: string;
  /** Options such as `--from=data-dir`, by name. */
  readonly flags: Record<string, string>;
  readonly args: string[];
}
interface Stage {
  readonly image: string;
  readonly name?: string;
  readonly instructions: Instruction[];
}

/** The Dockerfile's stages, each with its instructions (comments dropped, continuation lines joined). */
function parseDockerfile(text: string): Stage[] {
  const stages: { image: string; name?: string; instructions: Instruction[] }[] = [];
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  for (const line of lines) {
    const [keyword, ...words] = line.split(/\s+/);
    const flags = Object.fromEntries(
      words.filter((word) => word.startsWith('--')).map((word) => word.slice(2).split('=', 2) as [string, string]),
    );
    const args = words.filter((word) => !word.startsWith('--'));
    if (keyword.toUpperCase() === 'FROM') stages.push({ image: args[0], name: args[2], instructions: [] });
    else stages[stages.length - 1].instructions.push({ keyword: keyword.toUpperCase(), flags, args });
  }
  return stages;
}

const stages = parseDockerfile(fs.readFileSync(path.join(REPO_ROOT, 'service', 'Dockerfile'), 'utf8'));
const image = stages[stages.length - 1];
const all = (keyword: string, stage: Stage = image) => stage.instructions.filter((instruction) => instruction.keyword === keyword);
const only = (keyword: string) => {
  const found = all(keyword);
  expect(found).toHaveLength(1);
  return found[0];
};
const environment = Object.fromEntries(all('ENV').flatMap((instruction) => instruction.args.map((pair) => pair.split('=', 2))));

/** Stages the Docker image asset as `cdk synth` does; returns its directory (the build context). */
function stagedBuildContext(outdir: string): string {
  const app = new App({ outdir });
  addStage(app, 'fargate', loadStageConfig({}));
  const assembly = app.synth();
  const manifest = JSON.parse(fs.readFileSync(path.join(assembly.directory, 'Flagstack-Fargate.assets.json'), 'utf8'));
  const images = Object.values(manifest.dockerImages) as { source: { directory: string; dockerFile: string } }[];
  expect(images.map((entry) => entry.source.dockerFile)).toEqual(['service/Dockerfile']);
  return path.join(assembly.directory, images[0].source.directory);
}

/** Every file under `dir`, relative to it. */
const filesUnder = (dir: string): string[] =>
  (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)));

describe('service/Dockerfile', () => {
  it('runs on Node.js 24 in every stage', () => {
    for (const stage of stages) expect(stage.image).toMatch(/(^|\/)node:24(-alpine)?$/);
  });

  it('runs as the node user, its data in a directory it creates for that user, on a volume', () => {
    const user = only('USER').args[0];
    expect(user).toBe('node');
    const dataDir = environment.FLAGSTACK_DATA_DIR;
    expect(dataDir).toMatch(/^\//);
    // The directory is made in another stage and copied in, owned by the user.
    const copy = all('COPY').find((instruction) => instruction.args[instruction.args.length - 1] === dataDir);
    expect(copy).toBeDefined();
    expect(copy!.flags.chown?.split(':')[0]).toBe(user);
    const source = stages.find((stage) => stage.name === copy!.flags.from);
    expect(source).toBeDefined();
    expect(all('RUN', source!).map((run) => run.args.join(' '))).toContainEqual(
      expect.stringMatching(new RegExp(`^mkdir -p ${copy!.args[0]}$`)),
    );
    expect(only('VOLUME').args).toEqual([dataDir]);
  });

  it('puts PGlite where the bundle requires it from', () => {
    const workdir = only('WORKDIR').args[0];
    const copies = all('COPY')
      .filter((instruction) => instruction.flags.from === undefined)
      .map((instruction) => instruction.args);
    expect(copies).toContainEqual(['dist/service/', './']);
    expect(copies).toContainEqual([`node_modules/${PGLITE}/`, `./node_modules/${PGLITE}/`]);
    expect(only('CMD').args.join(' ')).toBe('["node", "server.js"]');
    expect(workdir).toBe('/app');
  });

  describe('its build context, as the CDK asset stages it', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'flagstack-image-'));
    const context = stagedBuildContext(outdir);
    afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

    it('holds every COPY source from the context, and nothing else but the Dockerfile', () => {
      const sources = all('COPY')
        .filter((instruction) => instruction.flags.from === undefined)
        .map((instruction) => instruction.args[0].replace(/\/$/, ''));
      const files = filesUnder(context);
      for (const source of sources) expect(files.filter((file) => file.startsWith(`${source}/`)).length).toBeGreaterThan(0);
      expect(files.filter((file) => !sources.some((source) => file.startsWith(`${source}/`)))).toEqual(['service/Dockerfile']);
      expect(files).toContain('dist/service/server.js');
    });

    it('holds the PGlite version package.json names, which needs no other package', () => {
      const wanted = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).dependencies[PGLITE];
      const sent = JSON.parse(fs.readFileSync(path.join(context, 'node_modules', PGLITE, 'package.json'), 'utf8'));
      expect(sent.version).toBe(wanted);
      expect(sent.dependencies ?? {}).toEqual({});
    });
  });
});
