/** Invalid configuration: every problem, each naming its key path. The CLI exits 2 on it. */
export class ConfigError extends Error {
  readonly code = 'E_CONFIG_INVALID';
  readonly problems: string[];
  constructor(problems: string[], source?: string) {
    super(`invalid configuration${source ? ` in ${source}` : ''}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}
