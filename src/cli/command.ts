/** What a subcommand may touch: main.ts hands it the environment and the terminal, so commands stay testable. */
export interface CliContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** For humans, on stderr. */
  say(text: string): void;
  /** Machine-readable output (a PEM, JSON), on stdout. */
  out(text: string): void;
}

/** A command that keeps serving returns how to stop it; main.ts calls that on SIGTERM/SIGINT. */
export interface Running {
  stop(): Promise<void>;
}

export interface Command {
  readonly name: string;
  /** Keeps serving until stopped: main.ts traps SIGTERM/SIGINT for it and stops it gracefully. */
  readonly serves?: boolean;
  /** One or more lines for the usage text, starting with the command line itself. */
  readonly usage: string;
  run(args: string[], ctx: CliContext): Promise<void | Running>;
}
