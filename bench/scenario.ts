/**
 * One benchmark: `run()` measures and returns a markdown section (a heading, a table, and a sentence on what the
 * numbers mean against the target). Scenarios are listed in bench/run.ts and run one after another, each in a process
 * of its own, in one run, so their numbers come from the same machine at the same time.
 */
export interface Scenario {
  /** Used with `npm run bench -- <id>` to run only some scenarios. */
  id: string;
  title: string;
  run(): Promise<string>;
}
