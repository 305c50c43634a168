/** Where core code reports progress. The agent adapter maps it to the pipeline log; tests collect it. */
export interface Log {
  info(message: string): void;
  warning(message: string): void;
  debug(message: string): void;
}

export const silentLog: Log = { info() {}, warning() {}, debug() {} };
