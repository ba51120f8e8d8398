/**
 * A progress indicator on stderr (stdout carries only the report): a spinner on a terminal, one
 * line per step otherwise (CI logs, pipes).
 */
export interface Progress {
  /** Shows what is happening now. */
  update(message: string): void;
  /** Ends the indicator. */
  done(): void;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export function createProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) {
    return {
      update: (message) => stream.write(`… ${message}\n`),
      done: () => {},
    };
  }
  let current = '';
  let frame = 0;
  const draw = () => stream.write(`\r\x1b[2K${FRAMES[frame++ % FRAMES.length]} ${current}`);
  let timer: NodeJS.Timeout | undefined;
  return {
    update(message) {
      current = message;
      if (timer === undefined) {
        timer = setInterval(draw, 80);
        timer.unref(); // never keeps the process alive
      }
      draw();
    },
    done() {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
      stream.write('\r\x1b[2K');
    },
  };
}

/** For tests and `--quiet`: shows nothing. */
export const silentProgress: Progress = { update: () => {}, done: () => {} };
