/** Base of every error Tideline raises on purpose; `name` is set so logs and dead letters can group by it. */
export class TidelineError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A configuration value is missing or malformed; raised at cold start, naming the variable. */
export class ConfigError extends TidelineError {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
  }
}
